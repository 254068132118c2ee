import { MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";

const BLOCK_TYPES = ["section", "header", "context", "divider", "actions", "image", "rich_text", "input", "file", "video"];

/** Checks an incoming-webhook body; returns Slack's error code or null. */
export function slackError(body: unknown): string | null {
  if (!body || typeof body !== "object") return "invalid_payload";
  const b = body as Record<string, unknown>;
  const hasText = typeof b["text"] === "string" && b["text"].trim() !== "";
  const blocks = b["blocks"];
  if (!hasText && !Array.isArray(blocks)) return "no_text";
  if (typeof b["text"] === "string" && b["text"].length > 40_000) return "invalid_payload";
  if (blocks !== undefined) {
    if (!Array.isArray(blocks) || blocks.length > 50) return "invalid_blocks";
    for (const block of blocks as Record<string, unknown>[]) {
      if (!BLOCK_TYPES.includes(block?.["type"] as string)) return "invalid_blocks";
      const text = block["text"] as { type?: string; text?: string } | undefined;
      if (block["type"] === "header" && (text?.type !== "plain_text" || (text.text ?? "").length > 150)) return "invalid_blocks";
      if (block["type"] === "section") {
        if (text && (typeof text.text !== "string" || text.text.length > 3000)) return "invalid_blocks";
        const fields = block["fields"] as { text?: string }[] | undefined;
        if (fields && (fields.length > 10 || fields.some((f) => (f.text ?? "").length > 2000))) return "invalid_blocks";
        if (!text && !fields) return "invalid_blocks";
      }
    }
  }
  return null;
}

/**
 * Slack incoming-webhook stand-in: `POST /services/T…/B…/…` answers `ok`, or Slack's plain-text
 * errors (`invalid_payload`, `invalid_blocks`, `no_text`, 404 `no_service`), and 429 with
 * Retry-After past its per-webhook limit (about one message a second).
 */
export class SlackServer extends RecordingServer {
  private readonly window: MinuteWindow;

  constructor(options: { perMinute?: number } = {}) {
    super();
    this.window = new MinuteWindow(options.perMinute ?? 60);
  }

  /** Accepted message bodies. */
  messages(): Record<string, unknown>[] {
    return this.accepted().map((r) => r.json as Record<string, unknown>);
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    if (req.method !== "POST" || !/^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(req.path)) return { status: 404, body: "no_service" };
    if (!this.window.allow(req.path, req.at)) return { status: 429, body: "rate_limited", headers: { "retry-after": "1" } };
    if (req.json === undefined) return { status: 400, body: "invalid_payload" };
    const error = slackError(req.json);
    return error ? { status: 400, body: error } : { status: 200, body: "ok" };
  }
}
