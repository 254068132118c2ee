import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import { findPulumiCli } from "../../infra/automation/pulumi-cli.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { UserError } from "../../cli/errors.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { CANARY_KEY, deployFixture, removeAll } from "./deploy-harness.js";

const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];

afterEach(() => removeAll(dirs));

const project = (manifest: Manifest) => deployFixture(manifest, dirs);

describe("wk deploy", () => {
  test("without the pulumi CLI it stops before compiling or touching anything, naming what to install", async () => {
    const p = await project(sampleManifest());
    p.deps.findPulumi = findPulumiCli;
    const error = await deployProject({ ...p.options, env: { PATH: p.dir } }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("pulumi CLI is not on PATH");
    expect((error as UserError).hint).toContain("install the Pulumi CLI");
    expect(p.compiled()).toBe(0);
    expect(p.calls).toEqual([]);
    await expect(stat(p.stateDir)).rejects.toThrow();
  });

  test("writes the routing keys to a 0600 file, never to stdout, and saves the deployed manifest", async () => {
    const p = await project(sampleManifest());
    expect(await deployProject(p.options, p.deps)).toBe(0);
    expect(p.calls[0]).toMatchObject({ stackName: "production", expectedBaseHash: null, pulumiBin: "/opt/pulumi/bin/pulumi" });
    const keysFile = join(p.stateDir, "routing-keys.json");
    expect(JSON.parse(await readFile(keysFile, "utf8"))).toEqual({ "payments-api": CANARY_KEY });
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(p.stateDir, "service-ids.json"), "utf8"))).toEqual({ "payments-api": "PSVC123" });
    const printed = p.out.join("");
    expect(printed).toContain("Updating (production)");
    expect(printed).toContain("written to");
    expect(printed).not.toContain(CANARY_KEY);
    expect(printed).not.toContain("pd-token-canary-77");
    const saved = JSON.parse(await readFile(join(p.stateDir, "deployed-manifest.json"), "utf8"));
    expect(saved.hash).toBe(sampleManifest().hash);
  });

  test("a deploy that replaces a routing key keeps the old one under $previous, for incidents opened with it", async () => {
    const p = await project(sampleManifest());
    const keysFile = join(p.stateDir, "routing-keys.json");
    const deployStack = p.deps.deployStack;
    const keys = ["R0UTING-ONE", "R0UTING-TWO", "R0UTING-THREE", "R0UTING-FOUR", "R0UTING-FIVE"];
    // The stack tells which key it replaced even where the file is not there (a fresh CI runner).
    let before: string | null = null;
    for (const key of keys) {
      const replaced: Record<string, string> = before ? { "payments-api": before } : {};
      p.deps.deployStack = async (o) => ({ ...(await deployStack(o)), routingKeys: { "payments-api": key }, replacedRoutingKeys: replaced });
      if (key === "R0UTING-THREE") await rm(keysFile);
      p.stack.outputs = null;
      expect(await deployProject(p.options, p.deps)).toBe(0);
      before = key;
    }
    expect(JSON.parse(await readFile(keysFile, "utf8"))).toEqual({ "payments-api": "R0UTING-FIVE", $previous: { "payments-api": ["R0UTING-FOUR", "R0UTING-THREE", "R0UTING-TWO"] } });
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    expect(p.out.join("")).not.toMatch(/R0UTING-/);
  });

  test("the next deploy plans against what the stack records as deployed and refuses a stale plan token", async () => {
    const p = await project(sampleManifest());
    await deployProject(p.options, p.deps);
    const changed = sampleManifest((d) => (d.services[0]!.name = "Payments"));
    await p.checkout(changed);
    const { plan } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "x" }, target: changed, now });
    const stale = await deployProject({ ...p.options, planToken: "wkp_0000" }, p.deps).catch((e: unknown) => e);
    expect((stale as UserError).message).toContain("the plan is stale");
    expect(p.calls).toHaveLength(1);
    expect(await deployProject({ ...p.options, planToken: plan.planToken }, p.deps)).toBe(0);
    expect(p.calls[1]!.expectedBaseHash).toBe(sampleManifest().hash);
  });

  test("refuses to delete a service without --allow-destroy, and deploys with it", async () => {
    const p = await project(sampleManifest());
    await deployProject(p.options, p.deps);
    await p.checkout(sampleManifest((d) => { d.services = []; d.silences = []; d.monitors[0]!.service = null; }));
    const error = await deployProject(p.options, p.deps).catch((e: unknown) => e);
    expect((error as UserError).message).toContain("service:payments-api (delete)");
    expect((error as UserError).hint).toContain("--allow-destroy");
    expect(p.calls).toHaveLength(1);
    expect(await deployProject({ ...p.options, allowDestroy: true }, p.deps)).toBe(0);
  });

  test("without --yes and without a terminal it refuses instead of deploying", async () => {
    const p = await project(sampleManifest());
    const error = await deployProject({ ...p.options, yes: false }, p.deps).catch((e: unknown) => e);
    expect((error as UserError).hint).toContain("--yes");
    expect(p.calls).toEqual([]);
  });

  test("a provider error mid-deploy is a failure with its fix, and no keys file appears", async () => {
    const p = await project(sampleManifest());
    p.deps.deployStack = async () => {
      throw new DeployFailure("engine", "pulumi up failed for stack production: 401 Unauthorized", "fix the cause above and run wk deploy again");
    };
    const error = await deployProject(p.options, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(1);
    expect((error as UserError).message).toContain("401 Unauthorized");
    await expect(stat(join(p.stateDir, "routing-keys.json"))).rejects.toThrow();
  });

  describe("maintenance windows PagerDuty would refuse, before the engine starts", () => {
    // The sample's window: 2026-12-01 02:00-04:00 UTC.
    const at = (iso: string) => new Date(iso);
    const refusal = async (p: Awaited<ReturnType<typeof project>>, when: Date) => {
      const error = await deployProject({ ...p.options, now: when }, p.deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      return (error as UserError).message;
    };

    test("a new window whose end has passed is refused, named, and nothing is deployed", async () => {
      const p = await project(sampleManifest());
      const message = await refusal(p, at("2026-12-02T00:00:00Z"));
      expect(message).toContain("maintenance window db-upgrade: its end 2026-12-01T04:00:00Z has passed");
      expect(p.calls).toEqual([]);
    });

    test("an ended window that is changed is refused; left as deployed, the rest of the project deploys", async () => {
      const p = await project(sampleManifest());
      expect(await deployProject(p.options, p.deps)).toBe(0);
      await p.checkout(sampleManifest((d) => { d.silences[0]!.comment = "Database upgrade, done"; }));
      expect(await refusal(p, at("2026-12-02T00:00:00Z"))).toContain("it ended at 2026-12-01T04:00:00Z and PagerDuty no longer changes an ended window");
      expect(p.calls).toHaveLength(1);
      await p.checkout(sampleManifest((d) => { d.monitors[0]!.name = "Checkout API, renamed"; }));
      expect(await deployProject({ ...p.options, now: at("2026-12-02T00:00:00Z") }, p.deps)).toBe(0);
      expect(p.calls).toHaveLength(2);
    });

    test("a started window keeps its start, and its end moves only into the future", async () => {
      const p = await project(sampleManifest());
      expect(await deployProject(p.options, p.deps)).toBe(0);
      const during = at("2026-12-01T03:00:00Z");
      await p.checkout(sampleManifest((d) => { d.silences[0]!.start = "2026-12-01T02:30:00Z"; }));
      expect(await refusal(p, during)).toContain("PagerDuty does not move the start of a started window");
      await p.checkout(sampleManifest((d) => { d.silences[0]!.end = "2026-12-01T02:45:00Z"; }));
      expect(await refusal(p, during)).toContain("its end 2026-12-01T02:45:00Z has passed");
      await p.checkout(sampleManifest((d) => { d.silences[0]!.end = "2026-12-01T06:00:00Z"; }));
      expect(await deployProject({ ...p.options, now: during }, p.deps)).toBe(0);
      expect(p.calls).toHaveLength(2);
    });

    test("wk plan shows the refusal as a warning", async () => {
      const { plan } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target: sampleManifest(), now: at("2026-12-02T00:00:00Z") });
      expect(plan.warnings).toContainEqual(expect.objectContaining({ code: "maintenance-window-refused", subject: "db-upgrade" }));
      const { plan: early } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target: sampleManifest(), now });
      expect(early.warnings.filter((w) => w.code === "maintenance-window-refused")).toEqual([]);
    });
  });
});
