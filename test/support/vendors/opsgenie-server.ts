import { randomUUID } from "node:crypto";
import { headerValue, MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";

const PRIORITIES = ["P1", "P2", "P3", "P4", "P5"];

function answer(status: number, extra: Record<string, unknown> = {}): VendorAnswer {
  return { status, body: { took: 0.01, requestId: randomUUID(), ...extra } };
}

/**
 * OpsGenie Alert API stand-in: `POST /v2/alerts` (message <= 130, alias <= 512, P1..P5),
 * `POST /v2/alerts/:id/close|acknowledge?identifierType=alias`, `GenieKey` auth. Answers 202
 * `Request will be processed`, 422 for invalid bodies, 401 for a bad key, 429 over the limit.
 */
export class OpsgenieServer extends RecordingServer {
  /** Alerts by alias with their status. */
  readonly alerts = new Map<string, { alias: string; message: string; priority: string; status: "open" | "acked" | "closed"; count: number }>();
  private readonly window: MinuteWindow;

  constructor(private readonly options: { apiKey?: string; perMinute?: number } = {}) {
    super();
    this.window = new MinuteWindow(options.perMinute ?? 600);
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    const key = /^GenieKey (.+)$/.exec(headerValue(req, "authorization") ?? "")?.[1];
    if (!key || (this.options.apiKey !== undefined && key !== this.options.apiKey)) {
      return answer(401, { message: "Could not authenticate" });
    }
    if (!this.window.allow(key, req.at)) return answer(429, { message: "You are making too many requests! To avoid errors, we recommend you limit requests." });
    if (req.json === undefined || typeof req.json !== "object" || req.json === null) {
      return answer(400, { message: "Request body is not processable. Please check the errors.", errors: { body: "Could not parse JSON" } });
    }
    const body = req.json as Record<string, unknown>;
    if (req.method === "POST" && req.path === "/v2/alerts") {
      const errors: Record<string, string> = {};
      if (typeof body["message"] !== "string" || body["message"].trim() === "") errors["message"] = "Message can not be empty.";
      else if (body["message"].length > 130) errors["message"] = "Message can not be longer than 130 characters.";
      if (body["alias"] !== undefined && (typeof body["alias"] !== "string" || body["alias"].length > 512)) errors["alias"] = "Alias can not be longer than 512 characters.";
      if (body["priority"] !== undefined && !PRIORITIES.includes(body["priority"] as string)) errors["priority"] = "Priority should be one of [P1, P2, P3, P4, P5]";
      if (typeof body["description"] === "string" && body["description"].length > 15_000) errors["description"] = "Description can not be longer than 15000 characters.";
      if (Object.keys(errors).length > 0) return answer(422, { message: "Request body is not processable. Please check the errors.", errors });
      const alias = (body["alias"] as string | undefined) ?? randomUUID();
      const existing = this.alerts.get(alias);
      if (existing && existing.status !== "closed") existing.count++;
      else this.alerts.set(alias, { alias, message: body["message"] as string, priority: (body["priority"] as string) ?? "P3", status: "open", count: 1 });
      return answer(202, { result: "Request will be processed" });
    }
    const action = /^\/v2\/alerts\/([^/]+)\/(close|acknowledge)$/.exec(req.path);
    if (req.method === "POST" && action) {
      if (req.query["identifierType"] !== "alias") {
        return answer(422, { message: "Request body is not processable. Please check the errors.", errors: { identifierType: "identifierType should be alias for this client" } });
      }
      const alert = this.alerts.get(decodeURIComponent(action[1]!));
      if (alert) alert.status = action[2] === "close" ? "closed" : "acked";
      return answer(202, { result: "Request will be processed" });
    }
    return answer(404, { message: "Not found" });
  }
}
