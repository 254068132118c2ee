import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/** Holds the thread for `ms`, as rendering thousands of monitors' series does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * `/metrics` and `/readyz` answer anyone (Prometheus, the kubelet), and each renders from every
 * monitor: at 5,000 monitors a /metrics render held the event loop 0.7 s on a busy machine, and ten
 * asks at once held /healthz, the ticks and the pages for 4.5 s. Renders must be shared, so a
 * flood of asks costs a bounded share of the loop, not one render each.
 */
describe("http attack: a flood of /metrics and /readyz", () => {
  it("shares a render among the asks that come while it runs and just after, and renders afresh once it is past", async () => {
    rt = await startHttpRuntime({ monitors: [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })] });
    const registry = rt.runtime.metrics.registry;
    const real = registry.metrics.bind(registry);
    let renders = 0;
    registry.metrics = async () => {
      renders++;
      busy(100);
      return real();
    };
    const at = async (path: string) => {
      const res = await fetch(`${rt!.url}${path}`);
      return { status: res.status, text: await res.text() };
    };

    const flood = await Promise.all(Array.from({ length: 50 }, () => at("/metrics")));
    for (const answer of flood) {
      expect(answer.status).toBe(200);
      expect(answer.text).toContain("watchkeeper_outbox_depth");
    }
    expect(renders).toBeLessThanOrEqual(2);

    // One client asking as fast as it can gets the render it just got, for a while.
    await new Promise((r) => setTimeout(r, 700));
    renders = 0;
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect((await at("/metrics")).status).toBe(200);
    const elapsed = performance.now() - started;
    // Renders take 100 ms and are given again for 400 ms after: at most one per half second.
    expect(renders).toBeLessThanOrEqual(1 + Math.floor(elapsed / 500));

    // Once the render is past its share, the next ask sees what changed.
    await new Promise((r) => setTimeout(r, 700));
    expect((await fetch(`${rt.url}/heartbeat/no-such-job`, { method: "POST" })).status).toBe(404);
    expect((await at("/metrics")).text).toContain("watchkeeper_heartbeat_unknown_total 1");
  });

  it("reads every monitor's newest result about once for a flood of readiness probes", async () => {
    rt = await startHttpRuntime({ monitors: [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })] });
    const store = rt.runtime.store;
    const real = store.latestResults.bind(store);
    let reads = 0;
    store.latestResults = () => {
      reads++;
      busy(100);
      return real();
    };
    const answers = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${rt!.url}/readyz`)).status));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(reads).toBeLessThanOrEqual(2);
  });
});
