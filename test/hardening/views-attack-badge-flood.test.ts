import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest } from "../../sdk/manifest/index.js";
import { countedViews } from "../views/support/counted-views.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const TOKEN = "badge-flood-token";

/**
 * A public badge is, like the public status page, something anyone may ask for as often as they
 * like (a README on a busy site, or a loop of curl): each ask reads the monitor's state, and an
 * uptime badge 90 days of its history. A flood must cost renders of the badge, not one render
 * (and its store reads) per ask, or it takes the event loop from the probes and the pages.
 */
describe("views attack: a flood of badge requests", () => {
  let flood: Awaited<ReturnType<typeof countedViews>>;
  let url: string;
  const storeCalls = () => flood.calls();

  beforeAll(async () => {
    const monitors = [monitorSpec({ id: "shop", name: "Shop" }), monitorSpec({ id: "ledger", name: "Ledger" })];
    const { hash: _hash, ...base } = manifestOf(monitors, ["WATCHKEEPER_API_TOKEN"]);
    const manifest = sealManifest({ ...base, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Shop", monitors: ["shop"] }], source: "status.ts" }] });
    flood = await countedViews("badge-flood", manifest, (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined));
    url = flood.url;
  });
  afterAll(async () => {
    await flood?.close();
  });

  it("200 anonymous asks for a public status or uptime badge cost about one render's reads each, and every one gets the badge", async () => {
    for (const path of ["/badge/shop.svg", "/badge/shop.svg?type=uptime&window=90d"]) {
      const before = storeCalls();
      const first = await fetch(`${url}${path}`);
      expect(first.status, path).toBe(200);
      const svg = await first.text();
      const oneRender = storeCalls() - before;
      expect(oneRender, path).toBeGreaterThan(0);
      const flooded = storeCalls();
      const answers = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${url}${path}`)).text()));
      for (const answer of answers) expect(answer).toBe(svg);
      expect(storeCalls() - flooded, path).toBeLessThanOrEqual(oneRender);
    }
  });

  it("keeps the team's badge and the public's apart, and reads a badge afresh once its render is a few seconds old", async () => {
    const anonymous = await (await fetch(`${url}/badge/shop.svg`)).text();
    const team = await (await fetch(`${url}/badge/shop.svg`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(anonymous).toContain("Operational");
    expect(team).not.toContain("Operational");
    // A private monitor's badge is still refused to the public after the team asked for it.
    expect((await fetch(`${url}/badge/ledger.svg`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${url}/badge/ledger.svg`)).status).toBe(403);
    flood.elapse(5_200);
    const again = storeCalls();
    await (await fetch(`${url}/badge/shop.svg`)).text();
    expect(storeCalls() - again).toBeGreaterThan(0);
  });
});
