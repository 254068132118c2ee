import { truncate } from "../text/truncate.js";

/**
 * Why a check could not produce a result. The runtime counts errors by reason and the monitor's
 * `onError` decides whether they fail the monitor or leave it unknown.
 */
export type CheckErrorReason =
  /** The check did not finish within its timeout. */
  | "timeout"
  /** The target (or the Prometheus / DNS server asked) could not be reached. */
  | "unreachable"
  /** TLS handshake or certificate verification failed. */
  | "tls"
  /** The target answered, but not in the protocol expected (bad JSON, Prometheus error, wrong result type). */
  | "bad-response"
  /** The monitor's configuration cannot run: a missing secret, a missing code export, an invalid URL. */
  | "config"
  /** The monitor's own code threw or returned something that is not a check outcome. */
  | "code"
  /** The runtime cancelled the check (shutdown). */
  | "aborted";

/** A classified check failure whose message is safe to log and page with (never a secret value). */
export class CheckError extends Error {
  override readonly name = "CheckError";

  constructor(
    readonly reason: CheckErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export function isCheckError(error: unknown): error is CheckError {
  return error instanceof CheckError;
}

/** A missing secret: names the secret, never a value. */
export function missingSecret(name: string): CheckError {
  return new CheckError("config", `secret ${name} is not set`);
}

/**
 * The first line of a thrown message, shortened for a check error. Runners do not know the secret
 * values; the cut ends in a `…` marker so runCheck's scrub can find and redact the head of a secret
 * that the cut went through.
 */
export function errorExcerpt(text: string, max = 300): string {
  return truncate(text.split("\n")[0]!, max);
}
