import { randomUUID } from "node:crypto";
import { headerValue, MinuteWindow, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";
import { describeProblem, vendorSchemas, type SchemaProblem, type VendorSchemas } from "./vendor-schemas.js";

/** OpsGenie caps `details` at 8,000 characters in total (keys and values, counted in code points). */
export const OPSGENIE_DETAILS_MAX = 8_000;

const SCHEMAS = {
  create: ["opsgenie-alerts.json#/definitions/CreateAlertPayload", "opsgenie-alerts-limits.json#/definitions/CreateAlertPayload"],
  close: ["opsgenie-alerts.json#/definitions/CloseAlertPayload", "opsgenie-alerts-limits.json#/definitions/ActionPayload"],
  acknowledge: ["opsgenie-alerts.json#/definitions/AcknowledgeAlertPayload", "opsgenie-alerts-limits.json#/definitions/ActionPayload"],
  identifierType: ["opsgenie-alerts.json#/definitions/AlertIdentifierType"],
};
const UNPROCESSABLE = "Request body is not processable. Please check the errors.";

function answer(status: number, extra: Record<string, unknown> = {}, problems: string[] = []): VendorAnswer {
  return { status, body: { took: 0.01, requestId: randomUUID(), ...extra }, problems };
}

function unprocessable(errors: Record<string, string>): VendorAnswer {
  return answer(422, { message: UNPROCESSABLE, errors }, Object.entries(errors).map(([field, message]) => `${field}: ${message}`));
}

/** A schema problem in OpsGenie's words, keyed by field as its 422 answers are. */
function fieldMessage(problem: SchemaProblem): [string, string] {
  const field = problem.path || "body";
  const name = field.replace(/\[\d+\]/g, "").split(".").pop()!;
  const label = name.charAt(0).toUpperCase() + name.slice(1);
  switch (problem.keyword) {
    case "required":
      return [field, `${label} can not be empty.`];
    case "minLength":
    case "pattern":
      return [field, `${label} can not be empty.`];
    case "maxLength":
      return [field, `${label} can not be longer than ${String(problem.params["limit"])} characters.`];
    case "maxItems":
      return [field, `${label} can not have more than ${String(problem.params["limit"])} items.`];
    case "enum":
      return [field, `${label} should be one of [${(problem.params["allowedValues"] as unknown[]).join(", ")}]`];
    default:
      return [field, describeProblem(problem)];
  }
}

function detailsLength(details: unknown): number {
  if (!details || typeof details !== "object") return 0;
  return Object.entries(details).reduce((sum, [key, value]) => sum + [...key].length + [...String(value)].length, 0);
}

/**
 * Checks a create-alert body as the Alert API does (opsgenie-oas plus the documented limits, details
 * counted keys and values together); returns OpsGenie's 422 errors by field, empty when accepted.
 */
export function createAlertErrors(body: unknown, schemas: VendorSchemas = vendorSchemas()): Record<string, string> {
  const errors = Object.fromEntries(schemas.check(...SCHEMAS.create)(body).map(fieldMessage).reverse());
  const details = detailsLength((body as { details?: unknown } | null)?.details);
  if (details > OPSGENIE_DETAILS_MAX) errors["details"] = `Details can not be longer than ${OPSGENIE_DETAILS_MAX} characters in total (got ${details}).`;
  return errors;
}

/** Checks a close or acknowledge body; returns OpsGenie's 422 errors by field, empty when accepted. */
export function alertActionErrors(action: "close" | "acknowledge", body: unknown, schemas: VendorSchemas = vendorSchemas()): Record<string, string> {
  return Object.fromEntries(schemas.check(...SCHEMAS[action])(body).map(fieldMessage).reverse());
}

/** What `GET /v2/alerts/requests/:requestId` shows once a request has been processed. */
export interface OpsgenieRequestStatus {
  success: boolean;
  action: "Create" | "Close" | "Acknowledge";
  processedAt: string;
  integrationId: string;
  isSuccess: boolean;
  status: string;
  alertId: string;
  alias: string;
}

/** How long OpsGenie takes to process an accepted request, by action (0: at once). */
export interface ProcessingDelays {
  create?: number;
  close?: number;
  acknowledge?: number;
}

interface OpsgenieAlert {
  id: string;
  tinyId: string;
  alias: string;
  message: string;
  priority: string;
  status: "open" | "acked" | "closed";
  count: number;
}

/**
 * OpsGenie Alert API stand-in: `POST /v2/alerts` and
 * `POST /v2/alerts/:identifier/close|acknowledge?identifierType=id|alias|tiny` (default `id`),
 * `GET /v2/alerts/requests/:requestId`, `GenieKey` auth. Bodies are validated against OpsGenie's
 * published OpenAPI (opsgenie-oas) plus the Alert API's documented limits. Answers 202 `Request
 * will be processed`, 422 with errors per field, 401 for a bad key, 429 over the limit.
 *
 * As the Alert API documents (https://docs.opsgenie.com/docs/alert-api, "Get Request Status"),
 * an accepted request is processed asynchronously: with `processingMs` set, each one is applied
 * that long after it arrived, in that order and not in the order of arrival, and its request status
 * is 404 until then. A close processed before its alert exists fails there ("Alert does not exist").
 */
export class OpsgenieServer extends RecordingServer {
  /** Alerts by alias with their status. */
  readonly alerts = new Map<string, OpsgenieAlert>();
  private readonly window: MinuteWindow;
  private readonly schemas: VendorSchemas;
  /** Processed requests by request id; a request not (yet) processed is not there. */
  readonly requests = new Map<string, OpsgenieRequestStatus>();
  private tinyIds = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private processingFailures: { remaining: number; status: string }[] = [];

  constructor(private readonly options: { apiKey?: string; perMinute?: number; processingMs?: ProcessingDelays } = {}) {
    super();
    this.window = new MinuteWindow(options.perMinute ?? 600);
    this.schemas = vendorSchemas();
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    const key = /^GenieKey (.+)$/.exec(headerValue(req, "authorization") ?? "")?.[1];
    if (!key || (this.options.apiKey !== undefined && key !== this.options.apiKey)) {
      return answer(401, { message: "Could not authenticate" }, ["missing or wrong GenieKey"]);
    }
    if (!this.window.allow(key, req.at)) {
      // OpsGenie names the throttled window in headers, not in Retry-After (docs.opsgenie.com/docs/api-rate-limiting).
      const throttled = answer(429, { message: "You are making too many requests! To avoid errors, we recommend you limit requests." }, ["rate limited"]);
      return { ...throttled, headers: { "x-ratelimit-state": "THROTTLED", "x-ratelimit-period-in-sec": "60" } };
    }
    const status = /^\/v2\/alerts\/requests\/([^/]+)$/.exec(req.path);
    if (req.method === "GET" && status) return this.requestStatus(decodeURIComponent(status[1]!));
    if (req.method === "POST" && req.path === "/v2/alerts") return this.create(req);
    const action = /^\/v2\/alerts\/([^/]+)\/(close|acknowledge)$/.exec(req.path);
    if (req.method === "POST" && action) return this.act(req, decodeURIComponent(action[1]!), action[2] as "close" | "acknowledge");
    return answer(404, { message: "Not found" }, [`no such endpoint: ${req.method} ${req.path}`]);
  }

  private create(req: RecordedRequest): VendorAnswer {
    const body = this.jsonObject(req, false);
    if ("status" in body) return body;
    const errors = createAlertErrors(body.json, this.schemas);
    if (Object.keys(errors).length > 0) return unprocessable(errors);
    const alert = body.json as { message: string; alias?: string; priority?: string };
    const alias = alert.alias ?? randomUUID();
    return this.accept("create", () => {
      const existing = this.alerts.get(alias);
      if (existing && existing.status !== "closed") {
        existing.count++;
        return this.status("Create", true, "Alert deduplicated", existing);
      }
      const created: OpsgenieAlert = { id: randomUUID(), tinyId: String(++this.tinyIds), alias, message: alert.message, priority: alert.priority ?? "P3", status: "open", count: 1 };
      this.alerts.set(alias, created);
      return this.status("Create", true, "Created alert", created);
    });
  }

  /**
   * Accepts the next `count` requests (202) and then fails them while processing, with this status
   * in the request status, as an alert policy or a disabled integration does.
   */
  failProcessing(count: number, status: string): void {
    this.processingFailures.push({ remaining: count, status });
  }

  /** Answers 202 with a request id, and applies the request now or after its processing delay. */
  private accept(action: keyof ProcessingDelays, apply: () => OpsgenieRequestStatus): VendorAnswer {
    const accepted = answer(202, { result: "Request will be processed" });
    const requestId = (accepted.body as { requestId: string }).requestId;
    const failure = this.processingFailures.find((f) => f.remaining > 0);
    if (failure) failure.remaining--;
    const name = ({ create: "Create", close: "Close", acknowledge: "Acknowledge" } as const)[action];
    const process = () => this.requests.set(requestId, failure ? this.status(name, false, failure.status, null) : apply());
    const delay = this.options.processingMs?.[action] ?? 0;
    if (delay <= 0) process();
    else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        process();
      }, delay);
      this.timers.add(timer);
    }
    return accepted;
  }

  private status(action: OpsgenieRequestStatus["action"], isSuccess: boolean, status: string, alert: OpsgenieAlert | null): OpsgenieRequestStatus {
    return { success: isSuccess, action, processedAt: new Date().toISOString(), integrationId: "c9cec2cb-e782-4ebb-bc1d-1b2fa703cf03", isSuccess, status, alertId: alert?.id ?? "", alias: alert?.alias ?? "" };
  }

  private requestStatus(requestId: string): VendorAnswer {
    const processed = this.requests.get(requestId);
    if (!processed) return answer(404, { message: `Request with id [${requestId}] does not exist or not processed yet.` });
    return answer(200, { data: processed });
  }

  override async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await super.stop();
  }

  private act(req: RecordedRequest, identifier: string, action: "close" | "acknowledge"): VendorAnswer {
    const identifierType = req.query["identifierType"] ?? "id";
    if (this.schemas.check(...SCHEMAS.identifierType)(identifierType).length > 0) {
      return unprocessable({ identifierType: `Invalid identifierType [${identifierType}]. Possible values are [id, alias, tiny].` });
    }
    // The body of close and acknowledge is optional.
    const body = this.jsonObject(req, true);
    if ("status" in body) return body;
    const errors = this.fieldErrors(SCHEMAS[action], body.json);
    if (Object.keys(errors).length > 0) return unprocessable(errors);
    // Actions are asynchronous: an unknown identifier is still 202, and fails later in the request status.
    return this.accept(action, () => {
      const name = action === "close" ? "Close" : "Acknowledge";
      const alert = [...this.alerts.values()].find((a) => (identifierType === "alias" ? a.alias : identifierType === "tiny" ? a.tinyId : a.id) === identifier);
      if (!alert) return this.status(name, false, "Alert does not exist", null);
      alert.status = action === "close" ? "closed" : "acked";
      return this.status(name, true, action === "close" ? "Closed alert" : "Acknowledged alert", alert);
    });
  }

  private jsonObject(req: RecordedRequest, optional: boolean): { json: Record<string, unknown> } | VendorAnswer {
    if (optional && req.body.trim() === "") return { json: {} };
    if (req.json === undefined || typeof req.json !== "object" || req.json === null || Array.isArray(req.json)) {
      return answer(400, { message: UNPROCESSABLE, errors: { body: "Could not parse JSON" } }, ["body is not a JSON object"]);
    }
    return { json: req.json as Record<string, unknown> };
  }

  private fieldErrors(refs: string[], body: unknown): Record<string, string> {
    return Object.fromEntries(this.schemas.check(...refs)(body).map(fieldMessage).reverse());
  }
}
