import { randomBytes } from "node:crypto";
import { headerValue, MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";
import { describeProblem, vendorSchemas, type SchemaProblem, type VendorSchemas } from "./vendor-schemas.js";

/**
 * PagerDuty refuses events over 512 KB, read as 524,288 bytes of JSON as the project's docs define
 * it. Alertmanager reads it as 512,000 (`maxEventSize`); pass `maxEventBytes` to test against that.
 */
export const PAGERDUTY_MAX_EVENT_BYTES = 512 * 1024;

const EVENT_SCHEMAS = ["pagerduty-events-v2.json#/definitions/EnqueueEvent", "pagerduty-events-v2-limits.json#/definitions/EnqueueEvent"];
const REST_SCHEMAS = {
  create: "pagerduty-rest-incidents.json#/definitions/CreateIncidentRequest",
  update: "pagerduty-rest-incidents.json#/definitions/UpdateIncidentRequest",
  from: "pagerduty-rest-incidents.json#/definitions/FromHeader",
};
const REST_ACCEPT = "application/vnd.pagerduty+json;version=2";

function invalid(errors: string[]): VendorAnswer {
  return { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors }, problems: errors };
}

function restError(status: number, message: string, code: number, errors: string[] = []): VendorAnswer {
  return { status, body: { error: { message, code, errors } }, problems: errors.length > 0 ? errors : [message] };
}

/** A schema problem in PagerDuty's Events API wording (its answers quote the field in single quotes). */
function eventMessage(problem: SchemaProblem): string {
  const field = problem.path || "event";
  switch (problem.keyword) {
    case "required":
      return `'${field}' is missing or blank`;
    case "minLength":
      return field === "routing_key" ? "Length of 'routing_key' is incorrect (should be 32 characters)" : `'${field}' is missing or blank`;
    case "maxLength": {
      if (field === "routing_key") return "Length of 'routing_key' is incorrect (should be 32 characters)";
      // PagerDuty's own answer spells it "maiximum" and names the field without its parent.
      return `'${field.split(".").pop()}' is too long (maiximum is ${String(problem.params["limit"])} characters)`;
    }
    case "enum":
      return `'${field}' is invalid (must be one of: ${(problem.params["allowedValues"] as unknown[]).join(", ")})`;
    case "type":
      return `'${field}' must be ${String(problem.params["type"])}`;
    case "format":
      return `'${field}' is not a valid ${String(problem.params["format"])}`;
    default:
      return describeProblem(problem);
  }
}

/**
 * Checks an Events API v2 body against PagerDuty's published schema (api-schema) and the limits
 * its docs add; returns PagerDuty's error strings, empty when the event is accepted.
 */
export function eventErrors(body: unknown, schemas: VendorSchemas = vendorSchemas()): string[] {
  if (!body || typeof body !== "object" || Array.isArray(body)) return ["Event object is not a JSON object"];
  return [...new Set(schemas.check(...EVENT_SCHEMAS)(body).map(eventMessage))];
}

/**
 * PagerDuty stand-in: Events API v2 (`POST /v2/enqueue`, 202 / 400 / 429 at ~120 events a minute
 * per routing key) and the REST incidents API (`POST /incidents`, `PUT /incidents/:id`). Bodies
 * are validated against PagerDuty's published OpenAPI schemas plus the documented limits; headers
 * (Token auth, `From`, the v2 Accept, JSON content type) as the REST API checks them.
 */
export class PagerDutyServer extends RecordingServer {
  /** Incidents opened through the REST API, by id. */
  readonly incidents = new Map<string, { id: string; incident_key: string | null; status: string; title: string; service: string; from: string }>();
  private readonly window: MinuteWindow;
  private readonly apiToken: string | null;
  private readonly maxEventBytes: number;
  private readonly schemas: VendorSchemas;

  constructor(options: { eventsPerMinute?: number; apiToken?: string; maxEventBytes?: number } = {}) {
    super();
    this.window = new MinuteWindow(options.eventsPerMinute ?? 120);
    this.apiToken = options.apiToken ?? null;
    this.maxEventBytes = options.maxEventBytes ?? PAGERDUTY_MAX_EVENT_BYTES;
    this.schemas = vendorSchemas();
  }

  /** Accepted Events API v2 bodies, in arrival order. */
  events(): Record<string, unknown>[] {
    return this.accepted().filter((r) => r.path === "/v2/enqueue").map((r) => r.json as Record<string, unknown>);
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    if (req.method === "POST" && req.path === "/v2/enqueue") return this.enqueue(req);
    if (req.path === "/incidents" || req.path.startsWith("/incidents/")) return this.rest(req);
    return { status: 404, body: { status: "not found", message: "Not Found" }, problems: [`no such endpoint: ${req.method} ${req.path}`] };
  }

  private enqueue(req: RecordedRequest): VendorAnswer {
    if (!(headerValue(req, "content-type") ?? "").includes("application/json")) return invalid(["Content-Type must be application/json"]);
    if (req.bytes > this.maxEventBytes) return invalid([`Event object is too large (${req.bytes} bytes; the limit is ${this.maxEventBytes} bytes)`]);
    if (req.json === undefined) return invalid(["JSON parse error"]);
    const errors = eventErrors(req.json, this.schemas);
    if (errors.length > 0) return invalid(errors);
    const e = req.json as { routing_key: string; dedup_key?: string };
    if (!this.window.allow(e.routing_key, req.at)) {
      return { status: 429, body: { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." }, problems: ["rate limited"] };
    }
    return { status: 202, body: { status: "success", message: "Event processed", dedup_key: e.dedup_key ?? randomBytes(16).toString("hex") } };
  }

  private rest(req: RecordedRequest): VendorAnswer {
    const token = /^Token token=(.+)$/.exec(headerValue(req, "authorization") ?? "")?.[1];
    if (!token || (this.apiToken !== null && token !== this.apiToken)) return restError(401, "Unauthorized", 2006);
    if (headerValue(req, "accept") !== REST_ACCEPT) return restError(406, "Not Acceptable", 2001, [`Accept must be ${REST_ACCEPT}`]);
    const from = headerValue(req, "from");
    if (from === undefined || from.trim() === "") return restError(400, 'You must specify a user\'s email address in the "From" header to perform this action', 2016);
    if (this.schemas.check(REST_SCHEMAS.from)(from).length > 0) return restError(400, 'Malformed "From" header', 1028);
    if (!(headerValue(req, "content-type") ?? "").includes("application/json") || req.json === undefined || typeof req.json !== "object") {
      // PagerDuty's catch-all answer for a body it could not read as a JSON object.
      return restError(400, "Invalid Input Provided", 2001, ["params must be a Hash"]);
    }
    if (req.method === "POST" && req.path === "/incidents") {
      const errors = this.restErrors(REST_SCHEMAS.create, req.json);
      if (errors.length > 0) return restError(400, "Invalid Input Provided", 2001, errors);
      const incident = (req.json as { incident: { title: string; service: { id: string }; incident_key?: string } }).incident;
      const key = incident.incident_key ?? null;
      const open = [...this.incidents.values()].find((i) => key !== null && i.incident_key === key && i.status !== "resolved");
      if (open) return restError(400, "Invalid Input Provided", 2001, ["Open incident with matching dedup key already exists on this service"]);
      const id = `P${randomBytes(3).toString("hex").toUpperCase()}`;
      const created = { id, incident_key: key, status: "triggered", title: incident.title, service: incident.service.id, from };
      this.incidents.set(id, created);
      return { status: 201, body: { incident: { ...created, type: "incident", incident_number: this.incidents.size } } };
    }
    const match = /^\/incidents\/([^/]+)$/.exec(req.path);
    if (req.method === "PUT" && match) {
      const errors = this.restErrors(REST_SCHEMAS.update, req.json);
      if (errors.length > 0) return restError(400, "Invalid Input Provided", 2001, errors);
      const found = this.incidents.get(decodeURIComponent(match[1]!));
      if (!found) return restError(404, "Not Found", 2100);
      const status = (req.json as { incident: { status?: string } }).incident.status;
      if (status !== undefined) found.status = status;
      return { status: 200, body: { incident: { ...found, type: "incident" } } };
    }
    return restError(404, "Not Found", 2100);
  }

  private restErrors(ref: string, body: unknown): string[] {
    return [...new Set(this.schemas.check(ref)(body).map(describeProblem))];
  }
}
