#!/usr/bin/env node
// Re-extracts the request schemas the vendor fakes validate against from the vendors' own
// OpenAPI documents, so an update is a re-run rather than a hand edit. Usage:
//   node extract.mjs <PagerDuty/api-schema checkout> <opsgenie/opsgenie-oas checkout> <commit-pd> <commit-og>
// Only the operations the notifiers call are kept, with every schema they reference; `$ref`s are
// rewritten to `#/definitions/...` inside the extracted file and nothing else is changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const [pdDir, ogDir, pdCommit, ogCommit] = process.argv.slice(2);
if (!pdDir || !ogDir || !pdCommit || !ogCommit) {
  console.error("usage: node extract.mjs <pagerduty-api-schema-dir> <opsgenie-oas-dir> <pagerduty-commit> <opsgenie-commit>");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const read = (file) => JSON.parse(readFileSync(file, "utf8"));

/** Copies `root` and every component it reaches, rewriting refs to `#/definitions/<name>`. */
/** Schema annotations (prose); `factsOnly` drops them, keeping names, types, enums and constraints. */
const ANNOTATIONS = new Set(["description", "summary", "title", "example", "examples", "x-examples", "externalDocs"]);

function extract(doc, roots, refPrefix, lookup, { factsOnly = false } = {}) {
  const definitions = {};
  const pending = [];
  // `names` is true inside a `properties` map, whose keys are field names, not keywords.
  const rewrite = (node, names = false) => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item));
    if (!node || typeof node !== "object") return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if (!names && factsOnly && ANNOTATIONS.has(key)) continue;
      if (names) {
        out[key] = rewrite(value);
        continue;
      }
      if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
        out[key] = rewrite(value, true);
        continue;
      }
      if (key === "$ref" && typeof value === "string") {
        if (!value.startsWith(refPrefix)) throw new Error(`unexpected $ref ${value}`);
        // A ref may point inside a component (`Tag/allOf/0`): copy the component, keep the pointer.
        const pointer = value.slice(refPrefix.length);
        const name = pointer.split("/")[0];
        if (!(name in definitions) && !pending.includes(name)) pending.push(name);
        out[key] = `#/definitions/${pointer}`;
      } else if (key === "examples" || key === "x-examples") {
        continue;
      } else {
        out[key] = rewrite(value);
      }
    }
    return out;
  };
  for (const [name, schema] of Object.entries(roots)) definitions[name] = rewrite(schema);
  while (pending.length > 0) {
    const name = pending.shift();
    definitions[name] = rewrite(lookup(doc, name));
  }
  return definitions;
}

function write(file, header, definitions) {
  const body = { $id: file, ...header, definitions };
  writeFileSync(join(here, file), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`wrote ${file}: ${Object.keys(definitions).length} definitions`);
}

const oas3Component = (doc, name) => {
  const found = doc.components?.schemas?.[name];
  if (!found) throw new Error(`no components.schemas.${name}`);
  return found;
};
const requestSchema = (doc, path, method) => doc.paths[path][method].requestBody.content["application/json"].schema;
const headerSchema = (doc, name) => ({ ...doc.components.parameters[name].schema });
// A query parameter's schema, as PagerDuty publishes it (for some repeated filters, such as
// `statuses[]`, that is the schema of one value; for others, such as `service_ids[]`, of the list).
const querySchema = headerSchema;
// PagerDuty's api-schema repository carries no license file: only the structural facts of its
// schemas (names, types, enums, required fields, formats) are kept, none of its prose.
const PAGERDUTY = { factsOnly: true };
const PAGERDUTY_NOTE = "Structural facts only (names, types, enums, required fields, formats) of the operations the notifiers call; the repository carries no license file, so none of its prose, descriptions or examples is included.";

const events = read(join(pdDir, "reference/events-v2/openapiv3.json"));
write(
  "pagerduty-events-v2.json",
  { "x-source": { repository: "https://github.com/PagerDuty/api-schema", path: "reference/events-v2/openapiv3.json", commit: pdCommit, operations: ["POST /enqueue (createV2Event)"], note: PAGERDUTY_NOTE } },
  extract(events, { EnqueueEvent: requestSchema(events, "/enqueue", "post") }, "#/components/schemas/", oas3Component, PAGERDUTY),
);

const rest = read(join(pdDir, "reference/REST/openapiv3.json"));
write(
  "pagerduty-rest-incidents.json",
  { "x-source": { repository: "https://github.com/PagerDuty/api-schema", path: "reference/REST/openapiv3.json", commit: pdCommit, operations: ["POST /incidents (createIncident)", "PUT /incidents/{id} (updateIncident)", "GET /incidents (listIncidents)"], note: PAGERDUTY_NOTE } },
  extract(
    rest,
    {
      CreateIncidentRequest: requestSchema(rest, "/incidents", "post"),
      UpdateIncidentRequest: requestSchema(rest, "/incidents/{id}", "put"),
      FromHeader: headerSchema(rest, "from_header"),
      AcceptHeader: headerSchema(rest, "header_Accept"),
      ContentTypeHeader: headerSchema(rest, "header_Content-Type"),
      IncidentKeyQuery: querySchema(rest, "incident_key"),
      StatusesQuery: querySchema(rest, "statuses_incidents"),
      ServiceIdsQuery: querySchema(rest, "incident_services"),
      DateRangeQuery: querySchema(rest, "date_range"),
      SinceQuery: querySchema(rest, "since_incidents"),
      UntilQuery: querySchema(rest, "until_incidents"),
      LimitQuery: querySchema(rest, "incident_list_limit"),
      OffsetQuery: querySchema(rest, "offset_offset"),
      TotalQuery: querySchema(rest, "offset_total"),
    },
    "#/components/schemas/",
    oas3Component,
    PAGERDUTY,
  ),
);

const og = read(join(ogDir, "swagger.json"));
const ogDefinition = (doc, name) => {
  const found = doc.definitions?.[name];
  if (!found) throw new Error(`no definitions.${name}`);
  return found;
};
const { in: _in, name: _name, required: _required, ...identifierType } = og.parameters.AlertIdentifierType;
write(
  "opsgenie-alerts.json",
  { "x-source": { repository: "https://github.com/opsgenie/opsgenie-oas", path: "swagger.json", commit: ogCommit, operations: ["POST /v2/alerts (createAlert)", "POST /v2/alerts/{identifier}/close (closeAlert)", "POST /v2/alerts/{identifier}/acknowledge (acknowledgeAlert)"] } },
  extract(
    og,
    {
      CreateAlertPayload: og.definitions.CreateAlertPayload,
      CloseAlertPayload: og.definitions.CloseAlertPayload,
      AcknowledgeAlertPayload: og.definitions.AcknowledgeAlertPayload,
      AlertIdentifierType: identifierType,
    },
    "#/definitions/",
    ogDefinition,
  ),
);
