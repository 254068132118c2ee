import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { writeArtifact } from "../runtime/support/manifest.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { dropPrefix, hitBundle, redisAnswers, testPrefix, TickTarget, TEST_REDIS_URL } from "./support.js";

const available = await redisAnswers();
const KEY = "payments0123456789abcdef01234567".slice(0, 32);

/** Three replicas page PagerDuty through the real pipeline: one trigger and one resolve, whoever saw it. */
describe.skipIf(!available)("PagerDuty from three replicas (separate processes)", () => {
  let dir: string;
  let script: string;
  const target = new TickTarget();
  const pd = new PagerDutyServer();
  const prefix = testPrefix();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-scaleout-pd-"));
    script = await bundleChild("scaleout-pd");
    await target.start();
    await pd.start();
    const manifest = testManifest({
      monitors: [
        testMonitor("site", {
          schedule: { kind: "every", every: "1s" },
          check: { kind: "script", timeout: "2s" },
          code: { condition: false, summary: false, run: true, extract: false },
          service: "payments",
          severity: "critical",
        }),
      ],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      secrets: ["PD_ROUTING_PAYMENTS"],
    });
    await writeArtifact(join(dir, "artifact"), manifest, hitBundle(["site"], target.port));
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await pd.stop();
    await dropPrefix(TEST_REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  it("sends exactly one trigger and one resolve for a failure seen by whichever replica ran the tick", async () => {
    const replicas = await Promise.all(["a", "b", "c"].map(async (name) => {
      const child = await startChild(script, {
        WK_CHILD_ARTIFACT: join(dir, "artifact"),
        WK_CHILD_STATE: join(dir, `state-${name}`),
        WK_CHILD_REDIS: TEST_REDIS_URL,
        WK_CHILD_REDIS_PREFIX: prefix,
        WK_CHILD_SPREAD_MS: "0",
        WK_CHILD_DELIVERY: "full",
        WK_PAGERDUTY_EVENTS_URL: pd.url,
        PD_ROUTING_PAYMENTS: KEY,
        WK_LOG_LEVEL: "warn",
      });
      children.push(child);
      return child;
    }));
    target.failing.add("site");
    await waitFor(() => pd.events().some((e) => e.event_action === "trigger"), 20_000, "the trigger at PagerDuty");
    await new Promise((r) => setTimeout(r, 4_000));
    target.failing.delete("site");
    await waitFor(() => pd.events().some((e) => e.event_action === "resolve"), 20_000, "the resolve at PagerDuty");
    await new Promise((r) => setTimeout(r, 4_000));
    expect(pd.events().map((e) => [e.event_action, e.dedup_key, e.routing_key])).toEqual([
      ["trigger", "wk-site", KEY],
      ["resolve", "wk-site", KEY],
    ]);
    for (const child of replicas) {
      child.proc.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    }
  }, 90_000);
});
