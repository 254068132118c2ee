import * as pulumi from "@pulumi/pulumi";
import debuggable from "@pulumi/pulumi/runtime/debuggable.js";
import { describe, expect, test } from "vitest";
import { runUnderMocks, withoutDebugBookkeeping } from "../../cli/plan/mock-run.js";
import { sampleManifest } from "../infra/sample-manifest.js";

type Hooks = { stackTrace: (skip: number) => unknown[]; debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
const hooks = (): Hooks => ({
  stackTrace: (pulumi.Resource as unknown as Hooks).stackTrace,
  debuggablePromise: (debuggable as unknown as Hooks).debuggablePromise,
});

describe("mock runs skip Pulumi's debug bookkeeping", () => {
  test("the installed Pulumi still has both hooks (an upgrade that renames them shows here)", () => {
    expect(typeof hooks().stackTrace).toBe("function");
    expect(typeof hooks().debuggablePromise).toBe("function");
  });

  test("inside a run resources get no stack and promises no wrapper; both are put back after, also after a throw", async () => {
    const before = hooks();
    const p = Promise.resolve(1);
    await withoutDebugBookkeeping(async () => {
      expect(hooks().stackTrace(0)).toEqual([]);
      expect(hooks().debuggablePromise(p, "label")).toBe(p);
    });
    expect(hooks()).toEqual(before);
    await expect(withoutDebugBookkeeping(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(hooks()).toEqual(before);
    expect(hooks().debuggablePromise(p, "label")).not.toBe(p);
  });

  test("a run's resources and outputs are what the program declares", async () => {
    const manifest = sampleManifest();
    const run = await runUnderMocks(manifest);
    expect(run.resources.length).toBeGreaterThan(5);
    expect(new Set(run.resources.map((r) => `${r.type}::${r.name}`)).size).toBe(run.resources.length);
    expect(JSON.parse(run.outputs.deployedManifest)).toEqual(JSON.parse(JSON.stringify(manifest)));
    expect(await runUnderMocks(manifest)).toMatchObject({ resources: run.resources });
  });
});
