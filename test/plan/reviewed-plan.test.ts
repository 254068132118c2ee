import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { parsePlanDocument, planDocument, readPlanDocument, writePlanDocument, PLAN_DOCUMENT_KIND } from "../../cli/plan/plan-document.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { deployedRecordFromOutputs } from "../../infra/automation/deployed-record.js";
import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { deployFixture, removeAll } from "./deploy-harness.js";

const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const v1 = sampleManifest();
const v2 = sampleManifest((d) => (d.services[0]!.name = "Payments (v2)"));
const v3 = sampleManifest((d) => (d.monitors[0]!.for = "9m"));

/** What `wk plan --base-stack production --out plan.json` writes: the stack's record as base. */
async function reviewedPlan(file: string, base: Manifest | null, target: Manifest): Promise<void> {
  const { plan } = await buildPlan({ base, baseSource: base ? { kind: "stack", ref: "production" } : { kind: "empty", ref: null }, target, now });
  await writePlanDocument(file, planDocument(plan, target.project.name));
}

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe("wk plan --out: the plan document", () => {
  test("holds the project, both manifest hashes, the token and the diff, and reads back", async () => {
    const p = await deployFixture(v1, dirs);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, v1, v2);
    const json = JSON.parse(await readFile(file, "utf8"));
    expect(json).toMatchObject({ kind: PLAN_DOCUMENT_KIND, version: 1, project: "acme", base: { kind: "stack", ref: "production", hash: v1.hash }, target: { hash: v2.hash } });
    expect(json.planToken).toMatch(/^wkp_[0-9a-f]{32}$/);
    expect(json.plan.resources.map((r: { name: string }) => r.name)).toEqual(["service:payments-api"]);
    expect(json.integrity).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await readPlanDocument(file)).planToken).toBe(json.planToken);
  });

  test("an unwritable destination is a one-line finding, not a crash", async () => {
    const p = await deployFixture(v1, dirs);
    await writeFile(join(p.dir, "a-file"), "");
    const error = await refusal(reviewedPlan(join(p.dir, "a-file", "plan.json"), v1, v2));
    expect(error.exitCode).toBe(EXIT.findings);
    expect(error.message).toContain("cannot write the plan to");
  });
});

describe("wk deploy --plan applies exactly the reviewed plan", () => {
  test("deploys when the stack still holds the plan's base and this commit compiles to its target", async () => {
    const p = await deployFixture(v1, dirs);
    await deployProject(p.options, p.deps);
    await p.checkout(v2);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, v1, v2);
    expect(await deployProject({ ...p.options, planFile: file }, p.deps)).toBe(EXIT.ok);
    expect(p.calls.map((c) => c.manifest.hash)).toEqual([v1.hash, v2.hash]);
    expect(deployedRecordFromOutputs(p.stack.outputs)).toEqual({ kind: "manifest", manifest: v2 });
  });

  test("refuses when someone deployed meanwhile: the stack no longer holds the plan's base", async () => {
    const p = await deployFixture(v1, dirs);
    await deployProject(p.options, p.deps);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, v1, v2);
    // Another change is deployed before this plan's merge.
    await p.checkout(v3);
    await deployProject(p.options, p.deps);
    await p.checkout(v2);
    const error = await refusal(deployProject({ ...p.options, planFile: file }, p.deps));
    expect(error.exitCode).toBe(EXIT.findings);
    expect(error.message).toContain("the deployed manifest is no longer the plan's base");
    expect(error.message).toContain(v3.hash);
    expect(error.hint).toContain("re-run the plan");
    expect(p.calls).toHaveLength(2);
  });

  test("refuses a commit that is not the one reviewed, before reading or touching the stack", async () => {
    const p = await deployFixture(v1, dirs);
    await deployProject(p.options, p.deps);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, v1, v2);
    await p.checkout(v3);
    let read = 0;
    const readDeployed = p.deps.readDeployed;
    p.deps.readDeployed = (o) => (read++, readDeployed(o));
    const error = await refusal(deployProject({ ...p.options, planFile: file }, p.deps));
    expect(error.exitCode).toBe(EXIT.findings);
    expect(error.message).toContain("this commit is not the one reviewed");
    expect(read).toBe(0);
    expect(p.calls).toHaveLength(1);
  });

  test("refuses a plan for nothing deployed once something is, and a plan made against another stack", async () => {
    const p = await deployFixture(v1, dirs);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, null, v1);
    await deployProject(p.options, p.deps);
    expect((await refusal(deployProject({ ...p.options, planFile: file }, p.deps))).message).toContain("made against nothing deployed");
    await reviewedPlan(file, v1, v1);
    const staging = await refusal(deployProject({ ...p.options, stackName: "staging", planFile: file }, p.deps));
    expect(staging.message).toContain("was made against stack production, not staging");
    expect(p.calls).toHaveLength(1);
  });

  test("refuses a hand-edited, foreign, malformed or missing plan.json, with the reason, and deploys nothing", async () => {
    const p = await deployFixture(v1, dirs);
    await deployProject(p.options, p.deps);
    await p.checkout(v2);
    const file = join(p.dir, "plan.json");
    await reviewedPlan(file, v1, v2);
    const good = JSON.parse(await readFile(file, "utf8"));
    const attempt = async (content: string) => {
      await writeFile(file, content);
      return refusal(deployProject({ ...p.options, planFile: file }, p.deps));
    };

    // An edited diff (someone "fixes" what reviewers saw) breaks the integrity hash.
    const edited = structuredClone(good);
    edited.plan.resources[0].changes[0].after = "Something else";
    expect((await attempt(canonicalJson(edited))).message).toContain("does not match its integrity hash");

    // Pointing the plan at this commit by hand: integrity again.
    expect((await attempt(canonicalJson({ ...good, target: { hash: v3.hash } }))).message).toContain("integrity hash");

    // A token that is not the hash of base and target, even with a matching integrity hash.
    const { plan } = await buildPlan({ base: v1, baseSource: { kind: "stack", ref: "production" }, target: v2, now });
    const forged = planDocument({ ...plan, planToken: "wkp_" + "0".repeat(32) }, "acme");
    expect((await attempt(canonicalJson(forged))).message).toContain("its token is not the token of its base and target hashes");

    // Another project's plan, internally consistent.
    expect((await attempt(canonicalJson(planDocument(plan, "billing"))))).toMatchObject({ message: expect.stringContaining('is for project "billing", this is "acme"') });

    expect((await attempt("{ not json")).message).toContain("it is not JSON");
    expect((await attempt(canonicalJson({ formatVersion: 1, planToken: good.planToken }))).message).toContain("it is not a Watchkeeper plan");
    expect((await attempt(canonicalJson({ ...good, version: 2 }))).message).toContain("plan document version 2");
    expect((await attempt(canonicalJson({ ...good, base: "main" }))).message).toContain("it is malformed");
    const missing = await refusal(deployProject({ ...p.options, planFile: join(p.dir, "absent.json") }, p.deps));
    expect(missing.message).toContain("the file does not exist");

    expect(p.calls).toHaveLength(1);
    // The untouched document still deploys: the refusals were about the file, not the state.
    await writeFile(file, canonicalJson(good));
    expect(await deployProject({ ...p.options, planFile: file }, p.deps)).toBe(EXIT.ok);
  });

  test("--plan and --plan-token together are a usage error", async () => {
    const p = await deployFixture(v1, dirs);
    const error = await refusal(deployProject({ ...p.options, planFile: "plan.json", planToken: "wkp_x" }, p.deps));
    expect(error.exitCode).toBe(EXIT.usage);
    expect(p.compiled()).toBe(0);
  });

  test("a stack that records only the hash is completed from the matching saved manifest, and refused without it", async () => {
    const p = await deployFixture(v1, dirs);
    await deployProject(p.options, p.deps);
    // As an older Watchkeeper left it: the hash, no manifest.
    p.stack.outputs = { manifestHash: v1.hash };
    await p.checkout(v2);
    expect(await deployProject(p.options, p.deps)).toBe(EXIT.ok);
    p.stack.outputs = { manifestHash: v3.hash };
    const error = await refusal(deployProject(p.options, p.deps));
    expect(error.message).toContain("records only the hash");
    expect(error.hint).toContain("--base-manifest");
  });
});

describe("parsePlanDocument", () => {
  test("names the file in every refusal", () => {
    expect(() => parsePlanDocument("[]", "artifacts/plan.json")).toThrow(/refusing the plan artifacts\/plan\.json: it is not a Watchkeeper plan/);
  });
});
