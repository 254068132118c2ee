import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import main from "../../infra/index.js";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { sampleManifest } from "./sample-manifest.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-infra-entry-"));
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: args.name, state: args.inputs }),
      call: (args) => ({ id: `existing-user:${String((args.inputs as { email: string }).email)}` }),
    },
    "watchkeeper",
    "dev",
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the Pulumi CLI entry (infra/index.ts)", () => {
  test("reads the manifest named by watchkeeper:manifest and exports its hash and secret routing keys", async () => {
    const file = join(dir, "manifest.json");
    await writeFile(file, canonicalJson(sampleManifest()));
    pulumi.runtime.setAllConfig({ "watchkeeper:manifest": file });
    const outputs = await main();
    expect(outputs["manifestHash"]).toBe(sampleManifest().hash);
    expect(await pulumi.isSecret(outputs["routingKeys"] as pulumi.Output<unknown>)).toBe(true);
  });

  test("a missing manifest stops the program with what to run", async () => {
    pulumi.runtime.setAllConfig({ "watchkeeper:manifest": join(dir, "absent.json") });
    await expect(main()).rejects.toThrow(/no manifest at .*absent\.json \(run `wk compile` first/);
  });
});
