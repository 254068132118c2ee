import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { schemaDir, VendorSchemas } from "../support/vendors/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SCHEMAS = join(ROOT, "test/support/vendors/schemas");
const scratch = mkdtempSync(join(tmpdir(), "wk-vendor-schemas-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("vendor schemas", () => {
  test("are found beside the TypeScript source and from the compiled copy under build/ (wk dev)", () => {
    expect(schemaDir(join(ROOT, "test/support/vendors"))).toBe(SCHEMAS);
    expect(schemaDir(join(ROOT, "build/test/support/vendors"))).toBe(SCHEMAS);
  });

  test("a folder with no schemas anywhere above it is an error that names what is missing", () => {
    expect(() => schemaDir(scratch)).toThrow(/vendor schemas not found: no schemas\/pagerduty-events-v2.json/);
  });

  test.each(["pagerduty-events-v2.json", "pagerduty-rest-incidents.json", "opsgenie-alerts.json"])("%s names the repository, path and commit it was extracted from", (file) => {
    const schema = JSON.parse(readFileSync(join(SCHEMAS, file), "utf8")) as { $id: string; "x-source": { repository: string; path: string; commit: string } };
    expect(schema.$id).toBe(file);
    expect(schema["x-source"].repository).toMatch(/^https:\/\/github\.com\/(PagerDuty\/api-schema|opsgenie\/opsgenie-oas)$/);
    expect(schema["x-source"].commit).toMatch(/^[0-9a-f]{40}$/);
  });

  test("every schema compiles, and PagerDuty's own create-incident example passes despite its schema's details type", () => {
    const schemas = new VendorSchemas(SCHEMAS);
    const check = schemas.check("pagerduty-rest-incidents.json#/definitions/CreateIncidentRequest");
    expect(check({ incident: { type: "incident", title: "t", service: { id: "P1", type: "service_reference" }, body: { type: "incident_body", details: "text" } } })).toEqual([]);
    expect(check({ incident: { type: "incident", title: "t", service: { id: "P1", type: "service_reference" }, body: { type: "incident_body", details: 3 } } })).not.toEqual([]);
  });
});
