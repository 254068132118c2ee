import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run as compileCommand } from "../../cli/commands/compile.js";
import { compileProject } from "../../cli/compiler/index.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { planDocument, writePlanDocument } from "../../cli/plan/plan-document.js";
import { copyFixture, NOW } from "../compiler/support.js";

// The deploy job compiles the runtime artifact after `wk deploy --plan` checked its own compile of
// the same commit. A module decides what it defines each time it runs (the clock, a file the deploy
// left in the checkout): the second compile, the one that runs, must be the reviewed one too.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The `ok` fixture and the plan `wk plan --out plan.json` makes of it, before anything is deployed. */
async function reviewedProject(): Promise<{ dir: string; planFile: string }> {
  const { dir, cleanup } = await copyFixture("ok");
  cleanups.push(cleanup);
  const compiled = await compileProject({ projectDir: dir, write: false, now: NOW });
  expect(compiled.ok, JSON.stringify(compiled.diagnostics)).toBe(true);
  const target = compiled.manifest!;
  const { plan } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target, now: NOW });
  const planFile = path.join(dir, "plan.json");
  await writePlanDocument(planFile, planDocument(plan, target.project.name));
  return { dir, planFile };
}

describe("wk compile --plan writes only the reviewed plan's target", () => {
  it("writes the artifact when the project compiles to the manifest the plan was made for", async () => {
    const { dir, planFile } = await reviewedProject();
    expect(await compileCommand({ project: dir, plan: planFile })).toBe(EXIT.ok);
    const written = JSON.parse(await readFile(path.join(dir, "dist", "watchkeeper", "manifest.json"), "utf8")) as { hash: string };
    const planned = JSON.parse(await readFile(planFile, "utf8")) as { target: { hash: string } };
    expect(written.hash).toBe(planned.target.hash);
  });

  it("writes nothing, and says why, when the project compiles to another manifest than the plan's target", async () => {
    const { dir, planFile } = await reviewedProject();
    // What a module that reads the clock or the checkout makes of the same commit the second time.
    const file = path.join(dir, "monitors", "payments.ts");
    const source = await readFile(file, "utf8");
    const changed = source.replace('for: "5m"', 'for: "6h"');
    expect(changed).not.toBe(source);
    await writeFile(file, changed);
    const error = await compileCommand({ project: dir, plan: planFile }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(EXIT.findings);
    expect((error as UserError).message).toMatch(/is not the one reviewed: it compiles to manifest sha256:[0-9a-f]+, the plan .*plan\.json was made for sha256:/);
    expect(existsSync(path.join(dir, "dist"))).toBe(false);
  });
});
