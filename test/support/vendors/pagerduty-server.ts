import { randomBytes } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
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

/** How listIncidents reads each documented query parameter, and the extracted schema it must pass. */
const LIST_QUERY: Record<string, { schema: string; value: "string" | "integer" | "boolean" | "list" }> = {
  incident_key: { schema: "IncidentKeyQuery", value: "string" },
  "statuses[]": { schema: "StatusesQuery", value: "string" },
  "service_ids[]": { schema: "ServiceIdsQuery", value: "list" },
  date_range: { schema: "DateRangeQuery", value: "string" },
  since: { schema: "SinceQuery", value: "string" },
  until: { schema: "UntilQuery", value: "string" },
  limit: { schema: "LimitQuery", value: "integer" },
  offset: { schema: "OffsetQuery", value: "integer" },
  total: { schema: "TotalQuery", value: "boolean" },
};
/** listIncidents covers the last month unless `since`/`until` or `date_range=all` say otherwise. */
const LIST_DEFAULT_RANGE_MS = 30 * 24 * 60 * 60 * 1000;
const LIST_DEFAULT_LIMIT = 25;
const LIST_MAX_LIMIT = 100;

/**
 * Each request's raw URL and response, by its headers object. RecordedRequest.query keeps one
 * value per name, but listIncidents filters repeat (`statuses[]=triggered&statuses[]=acknowledged`),
 * and losing an answer needs the response. Node publishes each request before the server sees it,
 * and the recorded request shares the request's headers object.
 */
const inFlight = new WeakMap<object, { url: string; response: ServerResponse }>();
subscribe("http.server.request.start", (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  inFlight.set(request.headers, { url: request.url ?? "/", response });
});

/** An incident opened through the REST API, as the fake keeps it. */
export interface FakeIncident {
  id: string;
  incident_number: number;
  incident_key: string | null;
  status: string;
  title: string;
  service: string;
  from: string;
  created_at: string;
  /** Notes added through `POST /incidents/:id/notes`, oldest first. */
  notes?: string[];
}

/**
 * An incident opened through the Events API. PagerDuty keys it by the integration (routing key) its
 * trigger came in on and the dedup key: an acknowledge or resolve under another routing key answers
 * 202 like any other event and leaves it as it is.
 */
export interface EventIncident {
  routingKey: string;
  dedupKey: string;
  status: "triggered" | "acknowledged" | "resolved";
  /** Events that reached it (a trigger on an open incident is appended to it). */
  events: number;
}

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
 * per routing key; incidents scoped to the routing key, see EventIncident) and the REST incidents API (`POST /incidents`, `PUT /incidents/:id`,
 * `POST /incidents/:id/notes`, `GET /incidents`). Bodies and list filters are validated against PagerDuty's published OpenAPI
 * schemas plus the documented limits; headers (Token auth, `From`, the v2 Accept, JSON content
 * type) as the REST API checks them.
 */
export class PagerDutyServer extends RecordingServer {
  /** Incidents opened through the REST API, by id. */
  readonly incidents = new Map<string, FakeIncident>();
  /** Incidents opened through the Events API, oldest first; a resolved one is kept. */
  readonly eventIncidents: EventIncident[] = [];
  private readonly window: MinuteWindow;
  private readonly apiToken: string | null;
  private readonly maxEventBytes: number;
  private readonly schemas: VendorSchemas;
  private readonly losing: { method: string; path: string; remaining: number }[] = [];

  constructor(options: { eventsPerMinute?: number; apiToken?: string; maxEventBytes?: number } = {}) {
    super();
    this.window = new MinuteWindow(options.eventsPerMinute ?? 120);
    this.apiToken = options.apiToken ?? null;
    this.maxEventBytes = options.maxEventBytes ?? PAGERDUTY_MAX_EVENT_BYTES;
    this.schemas = vendorSchemas();
  }

  /** The open Events API incident for a dedup key under a routing key, if any. */
  openIncident(routingKey: string, dedupKey: string): EventIncident | undefined {
    return this.eventIncidents.find((i) => i.routingKey === routingKey && i.dedupKey === dedupKey && i.status !== "resolved");
  }

  /** Accepted Events API v2 bodies, in arrival order. */
  events(): Record<string, unknown>[] {
    return this.accepted().filter((r) => r.path === "/v2/enqueue").map((r) => r.json as Record<string, unknown>);
  }

  /**
   * Handles the next `count` `method path` requests as PagerDuty does (an incident is created),
   * then closes the connection instead of answering: the vendor acted, the client never hears.
   */
  loseAnswers(method: string, path: string, count = 1): void {
    this.losing.push({ method, path, remaining: count });
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    const answer = this.handle(req);
    const lose = this.losing.find((l) => l.remaining > 0 && l.method === req.method && l.path === req.path);
    if (!lose) return answer;
    lose.remaining--;
    inFlight.get(req.headers)?.response.destroy();
    return { ...answer, problems: [...(answer.problems ?? []), "answer lost: the connection was closed after the request was handled"] };
  }

  private handle(req: RecordedRequest): VendorAnswer {
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
    const e = req.json as { routing_key: string; event_action: "trigger" | "acknowledge" | "resolve"; dedup_key?: string };
    if (!this.window.allow(e.routing_key, req.at)) {
      return { status: 429, body: { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." }, problems: ["rate limited"] };
    }
    const dedupKey = e.dedup_key ?? randomBytes(16).toString("hex");
    this.apply(e.routing_key, e.event_action, dedupKey);
    return { status: 202, body: { status: "success", message: "Event processed", dedup_key: dedupKey } };
  }

  /**
   * What an accepted event does, scoped to its integration: a trigger opens an incident (or is
   * appended to the open one); acknowledge and resolve act on the open incident with that dedup key
   * under that routing key, and on nothing when there is none (still 202).
   */
  private apply(routingKey: string, action: "trigger" | "acknowledge" | "resolve", dedupKey: string): void {
    const open = this.openIncident(routingKey, dedupKey);
    if (action === "trigger") {
      if (open) open.events++;
      else this.eventIncidents.push({ routingKey, dedupKey, status: "triggered", events: 1 });
      return;
    }
    if (!open) return;
    open.events++;
    open.status = action === "resolve" ? "resolved" : "acknowledged";
  }

  private rest(req: RecordedRequest): VendorAnswer {
    const token = /^Token token=(.+)$/.exec(headerValue(req, "authorization") ?? "")?.[1];
    if (!token || (this.apiToken !== null && token !== this.apiToken)) return restError(401, "Unauthorized", 2006);
    if (headerValue(req, "accept") !== REST_ACCEPT) return restError(406, "Not Acceptable", 2001, [`Accept must be ${REST_ACCEPT}`]);
    // listIncidents takes no `From` and no body, but its schema requires the JSON Content-Type too.
    if (req.method === "GET" && req.path === "/incidents") return this.list(req);
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
      const created: FakeIncident = { id, incident_number: this.incidents.size + 1, incident_key: key, status: "triggered", title: incident.title, service: incident.service.id, from, created_at: new Date(req.at).toISOString() };
      this.incidents.set(id, created);
      return { status: 201, body: { incident: { ...created, type: "incident" } } };
    }
    const noted = /^\/incidents\/([^/]+)\/notes$/.exec(req.path);
    if (req.method === "POST" && noted) {
      // createIncidentNote: `{ note: { content } }`, the From header checked above; 201 with the note.
      const content = (req.json as { note?: { content?: unknown } }).note?.content;
      if (typeof content !== "string" || content.trim() === "") return restError(400, "Invalid Input Provided", 2001, ["Note content must be a non-empty string"]);
      const found = this.incidents.get(decodeURIComponent(noted[1]!));
      if (!found) return restError(404, "Not Found", 2100);
      (found.notes ??= []).push(content);
      return { status: 201, body: { note: { id: `PN${randomBytes(3).toString("hex").toUpperCase()}`, content, created_at: new Date(req.at).toISOString(), user: { type: "user_reference", summary: from } } } };
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

  /** `GET /incidents` (listIncidents): the filters the notifiers use, oldest first, one page. */
  private list(req: RecordedRequest): VendorAnswer {
    if (!(headerValue(req, "content-type") ?? "").includes("application/json")) return restError(400, "Invalid Input Provided", 2001, ["Content-Type must be application/json"]);
    const query = new URL(inFlight.get(req.headers)?.url ?? req.path, "http://localhost").searchParams;
    const errors = this.queryErrors(query);
    if (errors.length > 0) return restError(400, "Invalid Input Provided", 2001, errors);
    const one = (name: string) => query.getAll(name).at(-1);
    const all = (name: string) => query.getAll(name);
    let range: { since: number; until: number } | null = null;
    if (one("date_range") !== "all") {
      const since = one("since") === undefined ? req.at - LIST_DEFAULT_RANGE_MS : Date.parse(one("since")!);
      const until = one("until") === undefined ? req.at : Date.parse(one("until")!);
      if (Number.isNaN(since) || Number.isNaN(until)) return restError(400, "Invalid Input Provided", 2001, ["since and until must be dates"]);
      range = { since, until };
    }
    const key = one("incident_key");
    const matching = [...this.incidents.values()]
      .filter((i) => key === undefined || i.incident_key === key)
      .filter((i) => all("service_ids[]").length === 0 || all("service_ids[]").includes(i.service))
      .filter((i) => all("statuses[]").length === 0 || all("statuses[]").includes(i.status))
      .filter((i) => range === null || (Date.parse(i.created_at) >= range.since && Date.parse(i.created_at) <= range.until))
      .sort((a, b) => a.incident_number - b.incident_number);
    const limit = Math.min(Number(one("limit") ?? LIST_DEFAULT_LIMIT), LIST_MAX_LIMIT);
    const offset = Number(one("offset") ?? 0);
    const page = matching.slice(offset, offset + limit);
    const incidents = page.map(({ from: _from, service, ...i }) => ({ ...i, type: "incident", service: { id: service, type: "service_reference" } }));
    return { status: 200, body: { incidents, limit, offset, more: offset + page.length < matching.length, total: one("total") === "true" ? matching.length : null } };
  }

  /** Each query parameter against its extracted schema; a parameter the fake does not model is refused, not ignored. */
  private queryErrors(query: URLSearchParams): string[] {
    const errors: string[] = [];
    for (const name of new Set(query.keys())) {
      const parameter = LIST_QUERY[name];
      if (!parameter) {
        errors.push(`${name}: not modelled by this PagerDuty stand-in`);
        continue;
      }
      const values = query.getAll(name);
      const check = this.schemas.check(`pagerduty-rest-incidents.json#/definitions/${parameter.schema}`);
      const read = (v: string): unknown => (parameter.value === "integer" && /^-?\d+$/.test(v) ? Number(v) : parameter.value === "boolean" && (v === "true" || v === "false") ? v === "true" : v);
      const problems = parameter.value === "list" ? check(values) : values.flatMap((v) => check(read(v)));
      errors.push(...problems.map((p) => describeProblem({ ...p, path: p.path ? `${name}${p.path}` : name })));
    }
    return [...new Set(errors)];
  }

  private restErrors(ref: string, body: unknown): string[] {
    return [...new Set(this.schemas.check(ref)(body).map(describeProblem))];
  }
}
