import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest } from "../../sdk/manifest/index.js";
import { countedViews } from "../views/support/counted-views.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * The public status page is the one page anyone may load as often as they like. A flood of
 * visitors must cost renders of the page, not one render (and its history reads) per visitor,
 * or it takes the event loop from the probes and the pages that page people.
 */
describe("views attack: a flood of visitors on the public status page", () => {
  let flood: Awaited<ReturnType<typeof countedViews>>;
  let url: string;
  const storeCalls = () => flood.calls();

  beforeAll(async () => {
    const monitors = Array.from({ length: 20 }, (_, i) => monitorSpec({ id: `shop-${i}`, name: `Shop ${i}` }));
    const { hash: _hash, ...base } = manifestOf(monitors, []);
    const manifest = sealManifest({ ...base, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Shop", monitors: monitors.map((m) => m.id) }], source: "status.ts" }] });
    flood = await countedViews("status-flood", manifest);
    url = flood.url;
  });
  afterAll(async () => {
    await flood?.close();
  });

  it("200 visitors at once cost about one render's reads, every one gets the page, and a later visitor gets a fresh render", async () => {
    const before = storeCalls();
    const first = await (await fetch(`${url}/status/public`)).text();
    const oneRender = storeCalls() - before;
    expect(oneRender).toBeGreaterThan(0);
    const flooded = storeCalls();
    const pages = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${url}/status/public`)).text()));
    for (const page of pages) expect(page).toBe(first);
    expect(storeCalls() - flooded).toBeLessThanOrEqual(oneRender);
    // Past the few seconds a render is kept, the page is read again.
    flood.elapse(5_200);
    const again = storeCalls();
    await (await fetch(`${url}/status/public`)).text();
    expect(storeCalls() - again).toBe(oneRender);
  });
});
