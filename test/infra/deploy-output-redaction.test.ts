import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { sampleManifest } from "./sample-manifest.js";

/** What the fake engine prints during `up`, chunk by chunk, as the CLI's stdout arrives. */
const engine = vi.hoisted(() => ({ chunks: [] as string[], fail: null as Error | null }));

// The Automation API without a pulumi CLI: a stack whose `up` prints the chunks above.
vi.mock("@pulumi/pulumi/automation/index.js", () => {
  const stack = {
    outputs: async () => ({}),
    getAllConfig: async () => ({}),
    setConfig: async () => {},
    up: async (o: { onOutput?: (text: string) => void }) => {
      for (const chunk of engine.chunks) o.onOutput?.(chunk);
      if (engine.fail) throw engine.fail;
      return { outputs: {}, summary: { resourceChanges: { create: 1 } } };
    },
  };
  return { LocalWorkspace: { createOrSelectStack: async () => stack }, PulumiCommand: { get: async () => ({}) } };
});

// Files share a worker and its module graph (vitest.config.ts): load the modules afresh, so they
// take the mock above rather than the real Automation API another file loaded, and drop them again
// after this file, so no later file gets modules bound to this file's mock.
vi.resetModules();
const { deployStack } = await import("../../infra/automation/deploy-stack.js");
afterAll(() => void vi.resetModules());

const TOKEN = "u+pd-token-canary-5e1f0a";
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function deployPrinting(chunks: string[]): Promise<string> {
  engine.chunks = chunks;
  const dir = await mkdtemp(join(tmpdir(), "wk-deploy-output-"));
  dirs.push(dir);
  let printed = "";
  await deployStack({
    manifest: sampleManifest(),
    stackName: "production",
    stateDir: dir,
    env: { PAGERDUTY_TOKEN: TOKEN, PULUMI_CONFIG_PASSPHRASE: "passphrase-canary-9" },
    pulumiBin: "/opt/pulumi/bin/pulumi",
    expectedBaseHash: null,
    onOutput: (text) => (printed += text),
  });
  return printed;
}

describe("wk deploy's engine output", () => {
  it("holds no secret that the engine's output splits across two chunks, and keeps every other character", async () => {
    const line = `  pagerduty:index:Service payments-api creating (1s) error: 401 for token ${TOKEN}\n`;
    for (let cut = 1; cut < line.length; cut += 7) {
      const printed = await deployPrinting(["Updating (production)\n", line.slice(0, cut), line.slice(cut), "Resources: 1 created"]);
      expect(printed, `cut at ${cut}`).not.toContain("pd-token-canary");
      expect(printed).toBe(`Updating (production)\n${line.replace(TOKEN, "[secret]")}Resources: 1 created`);
    }
  });

  it("passes on a long run without a line break, still without a secret cut in two", async () => {
    const run = `${".".repeat(70 * 1024)} token ${TOKEN} `;
    for (const cut of [70 * 1024 + 10, 70 * 1024 + 20]) {
      const printed = await deployPrinting([run.slice(0, cut), run.slice(cut), "done\n"]);
      expect(printed).not.toContain("pd-token-canary");
      expect(printed).toBe(`${run.replace(TOKEN, "[secret]")}done\n`);
    }
  });

  it("holds no secret the engine quotes URL-encoded or JSON-escaped", async () => {
    const printed = await deployPrinting([`GET https://api.pagerduty.com/?token=${encodeURIComponent(TOKEN)}\n`, `{"headers":{"authorization":${JSON.stringify(`Token token=${TOKEN}\\`)}}}\n`]);
    expect(printed).not.toContain("pd-token-canary");
  });
});
