import type { IncomingMessage } from "node:http";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { refuseRead, type ApiAccess } from "../../runtime/http/api-auth.js";
import { TOKEN_GUESSES_PER_MINUTE, TokenGuesses } from "../../runtime/http/token-guesses.js";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

// The sign-in form allows 10 tokens a minute per client; the same token sent as a bearer to the
// API, the team's pages or /readyz was compared as often as the server could answer. Wrong bearer
// tokens are counted per client address too, across every route that takes the token.

const TOKEN = "api-token-guesses-4b1e";
const hour = { kind: "every", every: "1h" } as const;
const monitors = [monitorSpec({ id: "site", schedule: hour })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/** A request as a trusted proxy forwards it: the client's own X-Forwarded-For entries first, the proxy's last. */
const get = (path: string, token: string, client?: string) =>
  fetch(`${rt!.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...(client ? { "x-forwarded-for": `10.9.9.${Math.floor(Math.random() * 250)}, ${client}` } : {}) }, redirect: "manual" });

/** Every kind of route the token guards: the detail API, a change, a team page, /readyz's detail, the live stream. */
async function guess(i: number, client?: string): Promise<number> {
  const paths = ["/api/monitors", "/api/alerts", "/", "/api/deliveries"];
  if (i % 5 === 4) {
    const res = await fetch(`${rt!.url}/api/silences`, {
      method: "POST",
      headers: { authorization: `Bearer guess-${i}`, "content-type": "application/json", ...(client ? { "x-forwarded-for": client } : {}) },
      body: "{}",
    });
    return res.status;
  }
  return (await get(paths[i % paths.length]!, `guess-${i}`, client)).status;
}

describe("wrong API tokens are limited per client address", () => {
  it(`answers ${TOKEN_GUESSES_PER_MINUTE} wrong tokens a minute, then 429 with Retry-After, and compares no token of that client until the window passes`, async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const statuses: number[] = [];
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE; i++) statuses.push(await guess(i));
    expect(statuses.every((s) => s === 401 || s === 303)).toBe(true);
    const limited = await get("/api/monitors", "guess-next");
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // The right token answers the same as a wrong one now: a guesser learns nothing from it.
    expect((await get("/api/monitors", TOKEN)).status).toBe(429);
    const page = await get("/", "guess-page");
    expect(page.status).toBe(429);
    expect(page.headers.get("retry-after")).not.toBeNull();
    expect((await get("/events", "guess-stream")).status).toBe(429);
    // /readyz answers a probe either way, without the detail a token would open.
    const ready = await get("/readyz", TOKEN);
    expect(ready.status).toBe(200);
    expect(await ready.text()).not.toContain('"reason"');
    // Without a token nothing is guessed: the public views and the sign-in page still answer.
    expect((await fetch(`${rt.url}/status`)).status).toBe(200);
    expect(rt.logs()).not.toContain("guess-");
    expect(rt.logs()).not.toContain(TOKEN);
  });

  it("behind a trusted proxy counts the forwarded client: another client's right token and its own wrong ones are not held back", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN, WK_TRUST_PROXY: "1" } });
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE; i++) expect([401, 303]).toContain(await guess(i, "198.51.100.20"));
    // A new X-Forwarded-For entry of the client's own making on every guess does not make it someone else.
    expect((await get("/api/monitors", "guess-next", "198.51.100.20")).status).toBe(429);
    expect((await get("/api/monitors", TOKEN, "198.51.100.21")).status).toBe(200);
    expect((await get("/api/monitors", "typo", "198.51.100.21")).status).toBe(401);
    // An IPv6 client is counted by its /64, as the sign-in limit counts it.
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE; i++) expect((await get("/api/alerts", `v6-${i}`, `2001:db8:1:2::${i.toString(16)}`)).status).toBe(401);
    expect((await get("/api/alerts", "v6-next", "2001:db8:1:2::ffff")).status).toBe(429);
    expect((await get("/api/alerts", TOKEN, "2001:db8:1:3::1")).status).toBe(200);
  });

  it("without a trusted proxy an X-Forwarded-For header is not the client: made-up entries do not dodge the count", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE; i++) expect((await get("/api/monitors", `guess-${i}`, `203.0.113.${i}`)).status).toBe(401);
    expect((await get("/api/monitors", "guess-next", "203.0.113.99")).status).toBe(429);
  });

  it("a right token is accepted throughout, and needs no count: it leaves none behind", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE * 2; i++) expect((await get("/api/monitors", TOKEN)).status).toBe(200);
    expect((await get("/api/monitors", "typo")).status).toBe(401);
  });
});

const request = (address: string, token: string) => ({ headers: { authorization: `Bearer ${token}` }, socket: { remoteAddress: address } }) as unknown as IncomingMessage;

describe("the count of wrong tokens", () => {
  it("lets a client's right token through once its failures are a minute old, never later", () => {
    let now = 1_000_000;
    const access: ApiAccess = { token: () => TOKEN, openReads: false, publicUrl: null, now: () => now, guesses: new TokenGuesses(false) };
    for (let i = 0; i < TOKEN_GUESSES_PER_MINUTE; i++) {
      expect(refuseRead(request("192.0.2.7", `guess-${i}`), access)?.status).toBe(401);
      now += 100;
    }
    const refused = refuseRead(request("192.0.2.7", TOKEN), access);
    expect(refused?.status).toBe(429);
    // Refusals are no failures: asking again while held back does not lengthen the wait.
    for (let i = 0; i < 100; i++) refuseRead(request("192.0.2.7", `more-${i}`), access);
    expect(refused?.retryAfterMs).toBe(60_000 - TOKEN_GUESSES_PER_MINUTE * 100);
    now += refused!.retryAfterMs!;
    expect(refuseRead(request("192.0.2.7", TOKEN), access)).toBeNull();
    expect(refuseRead(request("192.0.2.8", TOKEN), access)).toBeNull();
  });

  it("holds a bounded number of clients however many addresses guess", () => {
    const guesses = new TokenGuesses(false, TOKEN_GUESSES_PER_MINUTE, 1_000);
    let now = 0;
    const access: ApiAccess = { token: () => TOKEN, openReads: false, publicUrl: null, now: () => now, guesses };
    for (let i = 0; i < 20_000; i++) {
      refuseRead(request(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`, "guess"), access);
      expect(guesses.size).toBeLessThanOrEqual(1_000);
      now += 1;
    }
    // Once a minute has passed, the guesses of the past are dropped as new ones come.
    now += 60_000;
    refuseRead(request("192.0.2.1", "guess"), access);
    expect(guesses.size).toBe(1);
  });
});

describe("wrong tokens, whatever the order of clients and times", () => {
  it("a client is held back only by its own failures of the past minute: a right token passes otherwise, a wrong one is 401 at most `limit` times a minute", () => {
    const LIMIT = 3;
    const clients = ["192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"];
    const step = fc.record({ client: fc.integer({ min: 0, max: clients.length - 1 }), right: fc.boolean(), advanceMs: fc.integer({ min: 0, max: 40_000 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let now = 1_700_000_000_000;
        const access: ApiAccess = { token: () => TOKEN, openReads: false, publicUrl: null, now: () => now, guesses: new TokenGuesses(false, LIMIT) };
        // What each client's wrong tokens answered 401, by its key (the two IPv6 clients share a /64).
        const failures = new Map<string, number[]>();
        for (const { client, right, advanceMs } of steps) {
          now += advanceMs;
          const address = clients[client]!;
          const key = address.includes(":") ? "v6" : address;
          const recent = (failures.get(key) ?? []).filter((at) => now - at < 60_000);
          const refused = refuseRead(request(address, right ? TOKEN : "wrong"), access);
          if (recent.length >= LIMIT) {
            expect(refused?.status).toBe(429);
            expect(refused!.retryAfterMs!).toBeLessThanOrEqual(60_000);
          } else if (right) {
            expect(refused).toBeNull();
          } else {
            expect(refused?.status).toBe(401);
            recent.push(now);
          }
          failures.set(key, recent);
        }
      }),
      { numRuns: 300 },
    );
  });
});
