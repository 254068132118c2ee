import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import { intentFor } from "../../../../test/delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../../../../test/delivery/support/manifest.js";
import { OpsgenieServer } from "../../../../test/support/vendors/index.js";
import type { SendContext } from "../../types.js";
import { opsgenieNotifier } from "./opsgenie-notifier.js";

type OpsgenieChannel = Extract<ChannelSpec, { kind: "opsgenie" }>;

const og = new OpsgenieServer({ apiKey: "og-key" });
beforeAll(() => og.start());
afterAll(() => og.stop());

describe("the OpsGenie alias of a monitor's second OpsGenie channel", () => {
  // Built in each test: the fake's URL is known once it listens.
  const channel = (id: string) => testChannel(id, "opsgenie", { apiKey: { secret: "OG" }, region: "us", responders: [], tags: [], baseUrl: og.url }) as OpsgenieChannel;
  const monitor = testMonitor("disk", { channels: ["og-a", "og-b"] });
  const setup = () => {
    const [first, second] = [channel("og-a"), channel("og-b")];
    return { first, second, manifest: testManifest({ monitors: [monitor], channels: [first, second], secrets: ["OG"] }) };
  };
  const context = (previousRef: string | null): SendContext => ({ signal: AbortSignal.timeout(10_000), secret: () => "og-key", previousRef, now: Date.now() });

  it("is closed under the alias it was opened with after the monitor left the manifest", async () => {
    const { first, second, manifest } = setup();
    const notifier = opsgenieNotifier(second, { confirmCreateAfterMs: [] });
    const created = await notifier.send(intentFor("disk", "trigger", { dedupKey: "wk-disk" }), { manifest, monitor }, context(null));
    expect(created).toMatchObject({ ok: true });
    await og.waitFor(() => og.alerts.has("wk-disk:og-b"));
    expect(og.alerts.has("wk-disk")).toBe(false);
    // The next deploy removed the monitor: nothing in the manifest says which alias the channel used.
    const ref = created.ok ? (created.ref ?? null) : null;
    const closed = await notifier.send(intentFor("disk", "resolve", { dedupKey: "wk-disk" }), { manifest: testManifest({ monitors: [], channels: [first, second], secrets: ["OG"] }), monitor: null }, context(ref));
    expect(closed.ok).toBe(true);
    await og.waitFor(() => og.alerts.get("wk-disk:og-b")?.status === "closed");
  });

  it("keeps the dedup key for an alert an earlier build opened (its request reference says nothing of the alias)", async () => {
    const { first, second, manifest } = setup();
    const notifier = opsgenieNotifier(second, { confirmCreateAfterMs: [] });
    const legacy = opsgenieNotifier(first, { confirmCreateAfterMs: [] });
    const created = await legacy.send(intentFor("disk", "trigger", { dedupKey: "wk-disk-old" }), { manifest, monitor }, context(null));
    const ref = created.ok ? (created.ref ?? null) : null;
    expect(ref).toMatch(/^[^@]+@\d+$/);
    await notifier.send(intentFor("disk", "resolve", { dedupKey: "wk-disk-old" }), { manifest, monitor }, context(ref));
    await og.waitFor(() => og.alerts.get("wk-disk-old")?.status === "closed");
  });
});
