import type { Logger } from "pino";

/** How often one kind of refusal is logged at most. */
const DEFAULT_EVERY_MS = 60_000;

/**
 * Warnings that anyone who reaches the port can cause (an unsigned webhook, a ping for a monitor
 * that does not exist, a wrong token, a cross-site post) are logged at most once a minute per
 * kind, and the next line says how many were left out: a flood of bad requests must not flood the
 * logs, nor the disk under them. The first of each kind is always logged, so a misconfigured
 * sender is seen at once; the metrics (where there is one) count every request.
 *
 * Kinds are a fixed set (a name, or a name and a monitor id the manifest holds): never a value the
 * request chose, or the table would grow with the flood.
 */
export class LimitedWarnings {
  private readonly last = new Map<string, { at: number; left: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly everyMs = DEFAULT_EVERY_MS,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    this.log("warn", kind, fields, message);
  }

  /** The same for failures of the runtime's own parts (a store that is down), at error level. */
  error(kind: string, fields: Record<string, unknown>, message: string): void {
    this.log("error", kind, fields, message);
  }

  private log(level: "warn" | "error", kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock();
    const seen = this.last.get(kind);
    // A clock that stepped back counts as a new minute.
    if (seen && now >= seen.at && now - seen.at < this.everyMs) {
      seen.left++;
      return;
    }
    const left = seen?.left ?? 0;
    this.last.set(kind, { at: now, left: 0 });
    if (left === 0) this.logger[level](fields, message);
    else this.logger[level]({ ...fields, notLogged: left }, `${message} (${left} more like it since the last such line were not logged)`);
  }
}
