import { MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";
import { describeProblem, vendorSchemas, type VendorSchemas } from "./vendor-schemas.js";

/** Slack keeps the first 40,000 characters of `text` and drops the rest, without an error. */
export const SLACK_TEXT_KEPT = 40_000;

const MESSAGE = "slack-incoming-webhook.json#/definitions/Message";
const HAS_CONTENT = "slack-incoming-webhook.json#/definitions/HasContent";

/**
 * Slack refuses a message whose blocks hold more than about 12,000 characters of text in all, even
 * when each block is within its own limit: `msg_blocks_too_long`. Slack's engineers put it as
 * "12,000 text characters with a buffer for block containers" (slackapi/bolt-js#2509, where the
 * refusal was measured from 13,297 characters); the fake refuses past 12,000.
 */
export const SLACK_BLOCKS_TEXT_MAX = 12_000;

/** The characters of text in a message's blocks: every `text` string in them, at any depth. */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blocksTextLength(item), 0);
  if (!value || typeof value !== "object") return 0;
  return Object.entries(value).reduce((sum: number, [key, item]) => sum + (key === "text" && typeof item === "string" ? [...item].length : blocksTextLength(item)), 0);
}

/** Why Slack refuses an incoming-webhook body, as its error code and the schema findings. */
export interface SlackRefusal {
  code: "invalid_payload" | "no_text" | "invalid_blocks" | "msg_blocks_too_long";
  problems: string[];
}

/** Checks an incoming-webhook body; returns Slack's error code and why, or null when Slack accepts it. */
export function slackRefusal(body: unknown, schemas: VendorSchemas = vendorSchemas()): SlackRefusal | null {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { code: "invalid_payload", problems: ["body is not a JSON object"] };
  const shape = schemas.check(MESSAGE)(body);
  if (shape.length > 0) {
    const blocks = shape.every((p) => p.path.startsWith("blocks"));
    return { code: blocks ? "invalid_blocks" : "invalid_payload", problems: [...new Set(shape.map(describeProblem))] };
  }
  if (schemas.check(HAS_CONTENT)(body).length > 0) return { code: "no_text", problems: ["neither text nor blocks nor attachments"] };
  const blocksText = blocksTextLength((body as { blocks?: unknown }).blocks);
  if (blocksText > SLACK_BLOCKS_TEXT_MAX) return { code: "msg_blocks_too_long", problems: [`blocks hold ${blocksText} characters of text, more than ${SLACK_BLOCKS_TEXT_MAX}`] };
  return null;
}

/** Slack's error code for an incoming-webhook body, or null when Slack accepts it. */
export function slackError(body: unknown): string | null {
  return slackRefusal(body)?.code ?? null;
}

/** What a webhook URL has become on Slack's side; each has its own answer. */
export type WebhookState = "active" | "revoked" | "archived" | "prohibited";

/**
 * Slack incoming-webhook stand-in: `POST /services/T…/B…/…` answers `ok`, or Slack's plain-text
 * errors (400 `invalid_payload` / `invalid_blocks` / `no_text`, 403 `action_prohibited`, 404
 * `no_service`, 410 `channel_is_archived`), and 429 with Retry-After past its per-webhook limit
 * (about one message a second). Bodies are checked against the documented shape and Block Kit limits.
 */
export class SlackServer extends RecordingServer {
  private readonly window: MinuteWindow;
  private readonly schemas: VendorSchemas;
  private readonly states = new Map<string, WebhookState>();

  constructor(options: { perMinute?: number } = {}) {
    super();
    this.window = new MinuteWindow(options.perMinute ?? 60);
    this.schemas = vendorSchemas();
  }

  /** Accepted message bodies as Slack shows them (`text` past 40,000 characters dropped). */
  messages(): Record<string, unknown>[] {
    return this.accepted().map((r) => {
      const message = r.json as Record<string, unknown>;
      const text = message["text"];
      return typeof text === "string" && [...text].length > SLACK_TEXT_KEPT ? { ...message, text: [...text].slice(0, SLACK_TEXT_KEPT).join("") } : message;
    });
  }

  /** Makes a webhook path (`/services/T/B/x`) answer as Slack does once it is revoked, archived or prohibited. */
  setWebhookState(path: string, state: WebhookState): void {
    this.states.set(path, state);
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    if (req.method !== "POST" || !/^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(req.path)) return refuse(404, "no_service", [`no such webhook: ${req.method} ${req.path}`]);
    switch (this.states.get(req.path) ?? "active") {
      case "revoked":
        return refuse(404, "no_service", ["webhook revoked"]);
      case "archived":
        return refuse(410, "channel_is_archived", ["channel archived"]);
      case "prohibited":
        return refuse(403, "action_prohibited", ["posting prohibited by an admin"]);
      case "active":
        break;
    }
    if (!this.window.allow(req.path, req.at)) return { status: 429, body: "rate_limited", headers: { "retry-after": "1" }, problems: ["rate limited"] };
    if (req.json === undefined) return refuse(400, "invalid_payload", ["body is not JSON"]);
    const refusal = slackRefusal(req.json, this.schemas);
    return refusal ? refuse(400, refusal.code, refusal.problems) : { status: 200, body: "ok" };
  }
}

function refuse(status: number, code: string, problems: string[]): VendorAnswer {
  return { status, body: code, problems };
}
