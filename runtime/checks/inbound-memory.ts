import { HEARTBEAT_CLOCK_SLACK_MS, type InboundEvents, type UptimeReport } from "./types.js";

/** InboundEvents kept in memory: for tests and `wk test`, where nothing has to survive a restart. */
export class InMemoryInboundEvents implements InboundEvents {
  private readonly heartbeats = new Map<string, number>();
  private readonly uptime = new Map<string, UptimeReport>();
  private readonly emergencies = new Map<string, { at: number; message: string }>();
  private readonly emergencyResolutions = new Map<string, number>();

  lastHeartbeat(monitorId: string): number | null {
    return this.heartbeats.get(monitorId) ?? null;
  }

  recordHeartbeat(monitorId: string, at: number): void {
    // Out-of-order deliveries must not move the last ping backwards; a clock that ran ahead must not hold it.
    const last = this.heartbeats.get(monitorId) ?? at;
    this.heartbeats.set(monitorId, last - at > HEARTBEAT_CLOCK_SLACK_MS ? at : Math.max(at, last));
  }

  lastUptimeReport(monitorId: string): UptimeReport | null {
    return this.uptime.get(monitorId) ?? null;
  }

  recordUptimeReport(monitorId: string, report: UptimeReport): void {
    const previous = this.uptime.get(monitorId);
    if (!previous || report.at >= previous.at) this.uptime.set(monitorId, report);
  }

  lastEmergency(monitorId: string): { at: number; message: string } | null {
    return this.emergencies.get(monitorId) ?? null;
  }

  recordEmergency(monitorId: string, at: number, message: string): void {
    this.emergencies.set(monitorId, { at, message });
  }

  lastEmergencyResolved(monitorId: string): number | null {
    return this.emergencyResolutions.get(monitorId) ?? null;
  }

  recordEmergencyResolved(monitorId: string, at: number): void {
    this.emergencyResolutions.set(monitorId, at);
  }
}
