import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/** One reason a vendor schema refused a request body, in JSON-pointer terms. */
export interface SchemaProblem {
  /** Dotted path of the offending value (`payload.severity`), "" for the body itself. */
  path: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

/** Validates one request body; an empty list means the vendor accepts it. */
export type SchemaCheck = (data: unknown) => SchemaProblem[];

const MARKER = "pagerduty-events-v2.json";

/**
 * The committed schema folder. Beside this file when run from the TypeScript source; the compiled
 * copy under build/ has no JSON next to it, so walk up to the package root and use the source
 * folder there (the package must ship test/support/vendors/schemas for `wk dev` to work).
 */
export function schemaDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  const beside = join(from, "schemas");
  if (existsSync(join(beside, MARKER))) return beside;
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) {
      const fromRoot = join(dir, "test/support/vendors/schemas");
      if (existsSync(join(fromRoot, MARKER))) return fromRoot;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`vendor schemas not found: no schemas/${MARKER} beside ${from} or under the package root`);
}

/**
 * Where the published schemas contradict the vendor's own documented examples, the example wins
 * (a fake that refuses the vendor's example would make us "fix" correct code). Each entry names
 * the contradiction.
 */
function applyErrata(file: string, schema: AnySchemaObject): void {
  if (file === "pagerduty-rest-incidents.json") {
    // The createIncident example sends `body.details` as a string; the schema says object.
    const body = schema["definitions"]?.["IncidentBody"];
    if (body?.properties?.details) body.properties.details = { type: ["string", "object"], description: body.properties.details.description };
  }
}

/** Every committed schema compiled once; validators are looked up by `file#/pointer`. */
export class VendorSchemas {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(dir: string = schemaDir()) {
    // strict:false because the OpenAPI documents carry keywords JSON Schema lacks (x-*, example,
    // discriminator as a string in Swagger 2.0); ajv understands OpenAPI's `nullable` itself.
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    // PagerDuty's Events API schema types client_url, links[].href and images[].src|href as
    // `format: url`, which JSON Schema does not define; ajv-formats reads it as a regex that refuses
    // a host without a dot or on a private address (`http://10.0.0.7:8080/`, `http://[::]:9092/`),
    // and punycode hosts. PagerDuty takes such URLs (Kapacitor has long sent `client_url`
    // `http://[::]:9092/kapacitor/v1`, influxdata/kapacitor#2236), so here it means what the
    // developer docs say, "URL": an absolute http(s) URL, no whitespace.
    this.ajv.addFormat("url", { type: "string", validate: (value: string) => /^https?:\/\/[^\s/?#]+[^\s]*$/i.test(value) && URL.canParse(value) });
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const schema = JSON.parse(readFileSync(join(dir, file), "utf8")) as AnySchemaObject;
      applyErrata(file, schema);
      this.ajv.addSchema(schema, file);
    }
  }

  /** A check for `ref` (`opsgenie-alerts.json#/definitions/CreateAlertPayload`), plus overlays all must pass. */
  check(...refs: string[]): SchemaCheck {
    const validators = refs.map((ref) => this.validator(ref));
    // An `if` error only says "the then-branch failed"; the branch's own error says why.
    return (data) => validators.flatMap((validate) => (validate(data) ? [] : (validate.errors ?? []).filter((e) => e.keyword !== "if").map(toProblem)));
  }

  private validator(ref: string): ValidateFunction {
    const known = this.compiled.get(ref);
    if (known) return known;
    const validate = this.ajv.compile({ $ref: ref });
    this.compiled.set(ref, validate);
    return validate;
  }
}

function toProblem(error: ErrorObject): SchemaProblem {
  const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "required") segments.push(String(error.params["missingProperty"]));
  const path = segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  return { path, keyword: error.keyword, message: error.message ?? error.keyword, params: error.params as Record<string, unknown> };
}

let shared: VendorSchemas | null = null;

/** The schemas every fake in this process shares: compiling them costs ~100 ms, once. */
export function vendorSchemas(): VendorSchemas {
  shared ??= new VendorSchemas();
  return shared;
}

/** A problem in the terms a person reads in a test failure: `payload.severity: must be equal to one of the allowed values`. */
export function describeProblem(problem: SchemaProblem): string {
  const allowed = problem.params["allowedValues"];
  const suffix = Array.isArray(allowed) ? ` (${allowed.join(", ")})` : "";
  return `${problem.path || "body"}: ${problem.message}${suffix}`;
}
