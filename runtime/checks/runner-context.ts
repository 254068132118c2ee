import type { CheckContext, InboundEvents } from "./types.js";
import type { CheckStop } from "./shared/check-stop.js";

/**
 * What a runner sees of one check: the tick's context, with this check's stop, deadline and secret
 * reader in front of it. It refers to the tick's context instead of copying it, and its one getter
 * (the AbortSignal, made only when a runner asks: check-stop.ts) is on the class, not on each object.
 *
 * It was `{ ...ctx, get signal() {...}, ... }`: a spread whose `signal` was then redefined as an
 * accessor. V8 turns such an object into a dictionary (about 980 bytes against 230 for a plain
 * copy), and it lives as long as its check, which at a thousand checks a second is long enough to
 * be promoted: the largest share of what the old generation took in (bench/results/runtime.md).
 */
export class RunnerContext implements CheckContext {
  readonly #tick: CheckContext;

  constructor(
    tick: CheckContext,
    readonly monitorId: string,
    readonly stop: CheckStop,
    readonly signalAbortsBy: number,
    readonly secret: (name: string) => string | undefined,
  ) {
    this.#tick = tick;
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }
  get now(): Date {
    return this.#tick.now;
  }
  get startedAt(): Date {
    return this.#tick.startedAt;
  }
  get secretValues(): CheckContext["secretValues"] {
    return this.#tick.secretValues;
  }
  get code(): CheckContext["code"] {
    return this.#tick.code;
  }
  get inbound(): InboundEvents {
    return this.#tick.inbound;
  }
  get dispatcher(): CheckContext["dispatcher"] {
    return this.#tick.dispatcher;
  }
  get emergencyHoldMs(): CheckContext["emergencyHoldMs"] {
    return this.#tick.emergencyHoldMs;
  }
  get stopwatch(): CheckContext["stopwatch"] {
    return this.#tick.stopwatch;
  }
  get peerCertificate(): CheckContext["peerCertificate"] {
    return this.#tick.peerCertificate;
  }
  get dnsQuery(): CheckContext["dnsQuery"] {
    return this.#tick.dnsQuery;
  }
  get tcpConnect(): CheckContext["tcpConnect"] {
    return this.#tick.tcpConnect;
  }
}

// Every field of CheckContext has its getter above: a field added there and not here fails to compile.
type Missing = Exclude<keyof CheckContext, keyof RunnerContext>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;
