import { randomBytes } from "node:crypto";
import { headerValue, MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";

const SEVERITIES = ["critical", "error", "warning", "info"];
const ACTIONS = ["trigger", "acknowledge", "resolve"];

function invalid(errors: string[]): VendorAnswer {
  return { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors } };
}

function restError(status: number, message: string, code: number, errors: string[] = []): VendorAnswer {
  return { status, body: { error: { message, code, errors } } };
}

/** Checks an Events API v2 body against the documented shape and limits; returns the errors. */
export function eventErrors(body: unknown): string[] {
  if (!body || typeof body !== "object") return ["Event object is not a JSON object"];
  const e = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e["routing_key"] !== "string" || e["routing_key"].length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!ACTIONS.includes(e["event_action"] as string)) errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  const dedup = e["dedup_key"];
  if (dedup !== undefined && (typeof dedup !== "string" || dedup.length > 255)) errors.push("'dedup_key' must be a string of at most 255 characters");
  if (e["event_action"] !== "trigger" && typeof dedup !== "string") errors.push("'dedup_key' is required for acknowledge and resolve events");
  if (e["event_action"] === "trigger") {
    const p = e["payload"] as Record<string, unknown> | undefined;
    if (!p || typeof p !== "object") errors.push("'payload' is missing");
    else {
      if (typeof p["summary"] !== "string" || p["summary"] === "") errors.push("'payload.summary' is missing or blank");
      else if (p["summary"].length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof p["source"] !== "string" || p["source"] === "") errors.push("'payload.source' is missing or blank");
      if (!SEVERITIES.includes(p["severity"] as string)) errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      if (p["timestamp"] !== undefined && Number.isNaN(Date.parse(String(p["timestamp"])))) errors.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
      if (p["custom_details"] !== undefined && (typeof p["custom_details"] !== "object" || p["custom_details"] === null)) errors.push("'payload.custom_details' must be an object");
    }
    for (const field of ["links", "images"]) {
      const list = e[field];
      if (list !== undefined && !Array.isArray(list)) errors.push(`'${field}' must be an array`);
    }
    if (Array.isArray(e["links"]) && e["links"].some((l: { href?: unknown }) => typeof l?.href !== "string")) errors.push("'links[].href' is required");
    if (Array.isArray(e["images"]) && e["images"].some((i: { src?: unknown }) => typeof i?.src !== "string")) errors.push("'images[].src' is required");
  }
  return errors;
}

/**
 * PagerDuty stand-in: Events API v2 (`POST /v2/enqueue`, 202 / 400 / 429 at ~120 events a minute
 * per routing key) and the REST incidents API (`POST /incidents`, `PUT /incidents/:id`, with the
 * Token auth, `From` and the v2 Accept header checked).
 */
export class PagerDutyServer extends RecordingServer {
  /** Incidents opened through the REST API, by id. */
  readonly incidents = new Map<string, { id: string; incident_key: string | null; status: string; title: string; service: string; from: string }>();
  private readonly window: MinuteWindow;
  private readonly apiToken: string | null;

  constructor(options: { eventsPerMinute?: number; apiToken?: string } = {}) {
    super();
    this.window = new MinuteWindow(options.eventsPerMinute ?? 120);
    this.apiToken = options.apiToken ?? null;
  }

  /** Accepted Events API v2 bodies, in arrival order. */
  events(): Record<string, unknown>[] {
    return this.accepted().filter((r) => r.path === "/v2/enqueue").map((r) => r.json as Record<string, unknown>);
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    if (req.method === "POST" && req.path === "/v2/enqueue") return this.enqueue(req);
    if (req.path === "/incidents" || req.path.startsWith("/incidents/")) return this.rest(req);
    return { status: 404, body: { status: "not found", message: "Not Found" } };
  }

  private enqueue(req: RecordedRequest): VendorAnswer {
    if (!(headerValue(req, "content-type") ?? "").includes("application/json")) return invalid(["Content-Type must be application/json"]);
    if (req.json === undefined) return { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors: ["Could not parse JSON"] } };
    const errors = eventErrors(req.json);
    if (errors.length > 0) return invalid(errors);
    const e = req.json as { routing_key: string; dedup_key?: string };
    if (!this.window.allow(e.routing_key, req.at)) {
      return { status: 429, body: { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." } };
    }
    return { status: 202, body: { status: "success", message: "Event processed", dedup_key: e.dedup_key ?? randomBytes(16).toString("hex") } };
  }

  private rest(req: RecordedRequest): VendorAnswer {
    const auth = headerValue(req, "authorization") ?? "";
    const token = /^Token token=(.+)$/.exec(auth)?.[1];
    if (!token || (this.apiToken !== null && token !== this.apiToken)) return restError(401, "Unauthorized", 2006);
    if (headerValue(req, "accept") !== "application/vnd.pagerduty+json;version=2") return restError(406, "Not Acceptable", 2001, ["Accept must be application/vnd.pagerduty+json;version=2"]);
    const from = headerValue(req, "from");
    if (!from || !from.includes("@")) return restError(400, "Invalid Input Provided", 2001, ["The From header must be the email address of a valid user"]);
    const body = req.json as { incident?: Record<string, unknown> } | undefined;
    const incident = body?.incident;
    if (req.method === "POST" && req.path === "/incidents") {
      const errors: string[] = [];
      if (!incident) errors.push("incident is required");
      else {
        if (incident["type"] !== "incident") errors.push("incident.type must be incident");
        if (typeof incident["title"] !== "string" || incident["title"] === "") errors.push("incident.title is required");
        const service = incident["service"] as { id?: unknown; type?: unknown } | undefined;
        if (typeof service?.id !== "string" || service.type !== "service_reference") errors.push("incident.service must be a service_reference");
        if (incident["urgency"] !== undefined && !["high", "low"].includes(incident["urgency"] as string)) errors.push("incident.urgency must be high or low");
      }
      if (errors.length > 0) return restError(400, "Invalid Input Provided", 2001, errors);
      const key = (incident!["incident_key"] as string | undefined) ?? null;
      const open = [...this.incidents.values()].find((i) => key !== null && i.incident_key === key && i.status !== "resolved");
      if (open) return restError(400, "Invalid Input Provided", 2001, ["Open incident with matching dedup key already exists on this service"]);
      const id = `P${randomBytes(3).toString("hex").toUpperCase()}`;
      const created = { id, incident_key: key, status: "triggered", title: incident!["title"] as string, service: (incident!["service"] as { id: string }).id, from };
      this.incidents.set(id, created);
      return { status: 201, body: { incident: { ...created, type: "incident", incident_number: this.incidents.size } } };
    }
    const match = /^\/incidents\/([^/]+)$/.exec(req.path);
    if (req.method === "PUT" && match) {
      const found = this.incidents.get(decodeURIComponent(match[1]!));
      if (!found) return restError(404, "Not Found", 2100);
      const status = incident?.["status"];
      if (incident?.["type"] !== "incident_reference" || (status !== "acknowledged" && status !== "resolved")) {
        return restError(400, "Invalid Input Provided", 2001, ["incident.status must be acknowledged or resolved"]);
      }
      found.status = status;
      return { status: 200, body: { incident: { ...found, type: "incident" } } };
    }
    return restError(404, "Not Found", 2100);
  }
}
