import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { setTimeout as sleep } from "node:timers/promises";
import { parseRetryAfter } from "../../backoff.js";
import { classifyHttp, isMarkupPage, sendHttp, type HttpAnswer } from "../../http-send.js";
import { truncate } from "../../redact.js";
import type { MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import { OPSGENIE_LIMITS, opsgenieActionBody, opsgenieChannelAlias, opsgenieCreateBody, scopedAlias } from "./opsgenie-alert.js";

export { opsgenieCreateBody, opsgenieDetails, opsgeniePriority, OPSGENIE_LIMITS } from "./opsgenie-alert.js";

type OpsgenieChannel = Extract<ChannelSpec, { kind: "opsgenie" }>;

export const OPSGENIE_US_URL = "https://api.opsgenie.com";
export const OPSGENIE_EU_URL = "https://api.eu.opsgenie.com";
export const MESSAGE_MAX = OPSGENIE_LIMITS.message;

/**
 * How long after a request was accepted OpsGenie may still be processing it. Past this its status
 * is not waited for: OpsGenie keeps request statuses for a while only, and a close must never wait
 * for good on a status that is gone.
 */
export const PROCESSING_WAIT_MS = 10 * 60_000;

/**
 * After a create is accepted (202), its status is read this long after the 202, and again this
 * much later while OpsGenie has not processed it: an alert policy or a disabled integration
 * discards a create only while processing it, and a page nobody gets must be reported now, not
 * at the alert's next request.
 */
export const CONFIRM_CREATE_AFTER_MS: readonly number[] = [1_000, 2_000];

/** OpsGenie's request ids are UUIDs; anything else in a stored reference is not ours to put in a URL. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,100}$/;

/**
 * OpsGenie Alert API v2: create with `alias` = dedup key (OpsGenie deduplicates on it), close
 * and acknowledge by alias. `GenieKey` auth; EU region or `baseUrl` override.
 *
 * OpsGenie answers 202 and processes each request later, in no promised order: a close sent right
 * after its create can be processed first, fail with "Alert does not exist", and leave the alert
 * open for good, and a create sent right after a close (a flapping check) can be folded into the
 * alert being closed. So each accepted request's id is kept as the delivery's reference, and each
 * request first asks whether the one before it for the same alias has been processed (Get Request
 * Status); while OpsGenie answers 404 (not processed yet) it is retried later instead of sent.
 */
export function opsgenieNotifier(channel: OpsgenieChannel, options: { confirmCreateAfterMs?: readonly number[] } = {}): Notifier {
  const base = (channel.baseUrl ?? (channel.region === "eu" ? OPSGENIE_EU_URL : OPSGENIE_US_URL)).replace(/\/+$/, "");
  const confirmAfter = options.confirmCreateAfterMs ?? CONFIRM_CREATE_AFTER_MS;
  return {
    kind: "opsgenie",
    // Status reads are Alert API requests like any other: OpsGenie's limit counts them, the
    // create's confirmation reads included (taken up front, whether or not all are needed).
    requestsPerAttempt: (intent, previousRef, now) =>
      1 + (statusToRead(previousRef, now) ? 1 : 0) + (intent.type === "trigger" || intent.type === "remind" ? confirmAfter.length : 0),
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const key = ctx.secret(channel.apiKey.secret);
      if (!key) {
        return { ok: false, failure: { retryable: true, reason: `not available: ${channel.apiKey.secret}`, missingSecret: channel.apiKey.secret }, status: null, answer: "" };
      }
      const headers = { authorization: `GenieKey ${key}` };
      const chosen = aliasFor(intent, message, channel, ctx.previousRef);
      const alias = encodeURIComponent(chosen.alias);
      const keep = keepRequestId(ctx.now, chosen.scoped);
      const previous = await previousRequest(base, headers, ctx);
      if (previous.kind === "processing") return previous.result;
      const note = previous.kind === "failed" ? previous.note : null;
      switch (intent.type) {
        case "trigger":
        case "remind": {
          const body = JSON.stringify(opsgenieCreateBody(intent, message, channel, chosen.alias));
          const created = await sendHttp({ method: "POST", url: `${base}/v2/alerts`, headers, body }, ctx.signal, ctx.now, keep);
          return withNote(await confirmCreate(created, base, headers, confirmAfter, ctx), note);
        }
        case "resolve":
        case "acknowledge": {
          const action = intent.type === "resolve" ? "close" : "acknowledge";
          const body = JSON.stringify(opsgenieActionBody(intent));
          const url = `${base}/v2/alerts/${alias}/${action}?identifierType=alias`;
          return withNote(await sendHttp({ method: "POST", url, headers, body }, ctx.signal, ctx.now, keep), note);
        }
      }
    },
  };
}

/**
 * A delivery's reference: OpsGenie's request id and when it was accepted, `<requestId>@<ms>`, and
 * `@channel` when the alert's alias is the channel's own (opsgenieChannelAlias), so the alert's
 * later requests use the alias it was opened with whatever the manifest says by then.
 */
export function requestRef(requestId: string, acceptedAt: number, scoped = false): string {
  return `${requestId}@${acceptedAt}${scoped ? SCOPED_MARK : ""}`;
}

const SCOPED_MARK = "@channel";

function parseRequestRef(ref: string | null): { requestId: string; acceptedAt: number; scoped: boolean } | null {
  const match = ref ? /^([^@]+)@(\d{1,15})(@channel)?$/.exec(ref) : null;
  if (!match || !REQUEST_ID.test(match[1]!)) return null;
  return { requestId: match[1]!, acceptedAt: Number(match[2]), scoped: match[3] !== undefined };
}

/**
 * The alias this request uses: a trigger opens the alert under the channel's alias as the manifest
 * gives it now; a reminder, acknowledgement or close follows the alert's earlier request (the
 * monitor's channels may have changed since, or the monitor left the manifest).
 */
function aliasFor(intent: NotificationIntent, message: MessageContext, channel: OpsgenieChannel, previousRef: string | null): { alias: string; scoped: boolean } {
  const previous = intent.type === "trigger" ? null : parseRequestRef(previousRef);
  if (previous) return previous.scoped ? { alias: scopedAlias(intent.dedupKey, channel.id), scoped: true } : { alias: intent.dedupKey, scoped: false };
  const alias = opsgenieChannelAlias(intent, message, channel);
  return { alias, scoped: alias !== intent.dedupKey };
}

/**
 * Classifies as usual, and keeps the request id of an accepted request as the reference. A 2xx
 * whose body is a page (an HTML sign-in page, a proxy's own page) did not come from OpsGenie,
 * which answers `{"result":...,"requestId":...}`: the request never reached it, and
 * is retried (OpsGenie deduplicates a create on its alias) rather than recorded as sent.
 */
function keepRequestId(now: number, scoped: boolean): (answer: HttpAnswer) => SendResult | null {
  return (answer) => {
    const result = classifyOpsgenie(answer, now);
    if (!result.ok) return result;
    if (isMarkupPage(answer.body)) {
      const reason = `HTTP ${answer.status} that is a page, not OpsGenie's answer: something in front of OpsGenie answered instead`;
      return { ok: false, failure: { retryable: true, reason }, status: answer.status, answer: result.answer };
    }
    const requestId = requestIdOf(answer.body);
    return requestId ? { ...result, ref: requestRef(requestId, now, scoped) } : result;
  };
}


function requestIdOf(body: string): string | null {
  try {
    const requestId = (JSON.parse(body) as { requestId?: unknown } | null)?.requestId;
    return typeof requestId === "string" && REQUEST_ID.test(requestId) ? requestId : null;
  } catch {
    return null;
  }
}

/** The previous request whose status must be read before sending, or null when there is none to wait for. */
function statusToRead(previousRef: string | null, now: number): { requestId: string; acceptedAt: number } | null {
  const previous = parseRequestRef(previousRef);
  return previous && now - previous.acceptedAt < PROCESSING_WAIT_MS ? previous : null;
}

/** What became of the request before this one for the same alias. */
type PreviousRequest =
  | { kind: "processing"; result: SendResult }
  | { kind: "failed"; note: string }
  | { kind: "done" };

/**
 * Asks OpsGenie about the request before this one. While it answers 404 (OpsGenie: the request
 * "does not exist or not processed yet"), a retryable failure; so is an answer that says nothing
 * about the request (429, 5xx, a timeout): OpsGenie may still be processing it, and sending now
 * could let a close overtake its create. Both stop once the request is PROCESSING_WAIT_MS old. A
 * request OpsGenie processed and failed (a create refused by an alert policy) is noted in this
 * delivery's answer, where an operator finds it. Any other answer lets the request go: an API key
 * without read access (403) must not hold a close back for good.
 */
async function previousRequest(base: string, headers: Record<string, string>, ctx: SendContext): Promise<PreviousRequest> {
  const previous = statusToRead(ctx.previousRef, ctx.now);
  if (!previous) return { kind: "done" };
  const url = `${base}/v2/alerts/requests/${encodeURIComponent(previous.requestId)}`;
  const status = await sendHttp({ method: "GET", url, headers }, ctx.signal, ctx.now, classifyOpsgenie);
  if (!status.ok && status.status === 404) {
    return { kind: "processing", result: { ok: false, failure: { retryable: true, reason: "OpsGenie has not yet processed the previous request for this alert" }, status: 404, answer: status.answer } };
  }
  if (!status.ok && status.failure.retryable) {
    const failure = { ...status.failure, reason: `OpsGenie could not say whether it has processed the previous request for this alert: ${status.failure.reason}` };
    return { kind: "processing", result: { ok: false, failure, status: status.status, answer: status.answer } };
  }
  const failed = status.ok ? failedRequest(status.answer) : null;
  return failed ? { kind: "failed", note: failed } : { kind: "done" };
}

/**
 * Reads the status of a create OpsGenie has just accepted, after each wait in `confirmAfter`,
 * until OpsGenie has processed it. Processed and failed (discarded by an alert policy, an
 * integration disabled meanwhile): the delivery fails, not retryable, with OpsGenie's reason, since
 * sending it again is discarded again. Processed, or still unknown when the waits are over (404,
 * 429, 5xx, the attempt's time up, shutdown): the 202 stands, and the alias's next request reads
 * the status again. A confirmation read never turns an accepted create into a retry that sends it twice.
 */
async function confirmCreate(created: SendResult, base: string, headers: Record<string, string>, confirmAfter: readonly number[], ctx: SendContext): Promise<SendResult> {
  const ref = created.ok ? parseRequestRef(created.ref ?? null) : null;
  if (!created.ok || !ref) return created;
  const url = `${base}/v2/alerts/requests/${encodeURIComponent(ref.requestId)}`;
  for (const waitMs of confirmAfter) {
    try {
      await sleep(waitMs, undefined, { signal: ctx.signal });
    } catch {
      return created;
    }
    const status = await sendHttp({ method: "GET", url, headers }, ctx.signal, ctx.now, classifyOpsgenie);
    if (!status.ok) continue;
    const failed = failedRequest(status.answer);
    if (failed === null) return created;
    return { ok: false, failure: { retryable: false, reason: `${failed} (OpsGenie accepted the alert with 202, then discarded it)` }, status: created.status, answer: truncate(`${created.answer} (request status: ${status.answer})`, 2000) };
  }
  return created;
}

/**
 * OpsGenie's default classification, plus its throttling headers: a 429 says which window it
 * counted over in `X-RateLimit-Period-In-Sec` (OpsGenie, "Rate Limiting"; a minute or a second)
 * rather than in Retry-After, so that window is the wait when Retry-After is absent.
 */
function classifyOpsgenie(answer: HttpAnswer, now: number): SendResult {
  const result = classifyHttp(answer, now);
  if (result.ok || answer.status !== 429 || result.failure.retryAfterMs !== undefined) return result;
  const period = parseRetryAfter(answer.headers["x-ratelimit-period-in-sec"], now);
  return period === undefined || period === 0 ? result : { ...result, failure: { ...result.failure, retryAfterMs: period } };
}

/** `Create failed at OpsGenie: <status>` when the status answer says the request failed, else null. */
function failedRequest(answer: string): string | null {
  try {
    const data = (JSON.parse(answer) as { data?: { isSuccess?: unknown; action?: unknown; status?: unknown } } | null)?.data;
    if (!data || data.isSuccess !== false) return null;
    const action = typeof data.action === "string" ? data.action : "the previous request";
    const status = typeof data.status === "string" ? data.status : "no reason given";
    return truncate(`${action} failed at OpsGenie: ${status}`, 300);
  } catch {
    return null;
  }
}

function withNote(result: SendResult, note: string | null): SendResult {
  return note === null ? result : { ...result, answer: truncate(`${result.answer} (previous request: ${note})`, 2000) };
}
