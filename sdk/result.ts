/** What one evaluation of a check produced, for one target or one returned series. */
export interface CheckResult {
  /** Whether the check's own expectations held (status, latency, records, ping on time...). */
  ok: boolean;
  /** The number the check measured: latency in ms, an extracted value, a series value, a count. */
  value: number | null;
  /** One line a person can read: what was seen. */
  message: string;
  /** Labels that identify the series (PromQL) or target; `{}` for a single-target check. */
  labels: Record<string, string>;
  /** Structured facts attached to notifications as custom details. */
  details: Record<string, unknown>;
  /** Wall time the check took. */
  durationMs: number;
}

/** The sliding window of an `httpWindow` check, computed from the tick's time. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

/** What a script check receives. */
export interface ScriptContext {
  /** The scheduled time of this run; use it instead of reading the clock. */
  now: Date;
  /** Aborted when the check's timeout elapses. */
  signal: AbortSignal;
  /** Reads a declared secret; undefined when it is not set. */
  secret(name: string): string | undefined;
}

/** What a script check returns: a full result, or just ok/value. */
export type ScriptOutcome =
  | boolean
  | number
  | { ok: boolean; value?: number | null; message?: string; details?: Record<string, unknown>; labels?: Record<string, string> };

/** Context given to a summary function. */
export interface SummaryContext {
  monitorId: string;
  name: string;
  severity: string;
}

/** The code a monitor carries, as exported by `monitors.mjs` under the monitor's id. */
export interface MonitorCode {
  /** Returns true when the alert should fire for this result. */
  condition?: (result: CheckResult) => boolean;
  summary?: (result: CheckResult, monitor: SummaryContext) => string;
  run?: (ctx: ScriptContext) => Promise<ScriptOutcome> | ScriptOutcome;
  /** Extracts the tested value from an httpWindow response body. */
  extract?: (body: unknown, window: TimeWindow) => number | null;
}

/** The shape of `monitors.mjs`: `export default { [monitorId]: MonitorCode }`. */
export type MonitorBundle = Record<string, MonitorCode>;
