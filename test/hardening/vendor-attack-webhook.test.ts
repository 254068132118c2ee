import { afterEach, describe, expect, it } from "vitest";
import { webhookNotifier } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import { intentFor, makeHarness, until } from "../delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";
import { WebhookReceiver } from "../support/vendors/index.js";

const TOKEN = "hook-token-canary-3390";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options: ConstructorParameters<typeof WebhookReceiver>[0] = {}): Promise<WebhookReceiver> {
  const hook = new WebhookReceiver(options);
  await hook.start();
  cleanups.push(() => hook.stop());
  return hook;
}

describe("a receiver that redirects", () => {
  it.each([301, 302, 303, 307, 308])("%i is not followed: the other host never sees the body, the token or the signature", async (status) => {
    const hook = await receiver();
    const elsewhere = await receiver();
    hook.failFor(60_000, { status, headers: { location: `${elsewhere.url}/steal` } });
    const channel = testChannel("hook", "webhook", { url: `${hook.url}/alerts`, headers: { authorization: { secret: "HOOK_TOKEN" } }, hmacSecret: { secret: "HOOK_HMAC" } }) as Extract<ReturnType<typeof testChannel>, { kind: "webhook" }>;
    const result = await webhookNotifier(channel).send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [] }), monitor: null }, {
      signal: AbortSignal.timeout(5_000),
      secret: (name) => (name === "HOOK_TOKEN" ? TOKEN : "hmac-secret"),
      previousRef: null,
      now: Date.now(),
    });
    expect(elsewhere.received).toEqual([]);
    expect(result).toMatchObject({ ok: false, status, failure: { retryable: false } });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});

describe("a URL with credentials in it", () => {
  const send = (url: string, headers: Record<string, string | { secret: string }> = {}) => {
    const channel = testChannel("hook", "webhook", { url: { secret: "HOOK_URL" }, headers, hmacSecret: null }) as Extract<ReturnType<typeof testChannel>, { kind: "webhook" }>;
    return webhookNotifier(channel).send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [] }), monitor: null }, {
      signal: AbortSignal.timeout(5_000),
      secret: (name) => (name === "HOOK_URL" ? url : name === "HOOK_TOKEN" ? `Bearer ${TOKEN}` : undefined),
      previousRef: null,
      now: Date.now(),
    });
  };

  it("sends user:password@ as HTTP Basic authentication, as curl and Go do, instead of dropping it and losing every page to a 401", async () => {
    const hook = await receiver({ basicAuth: { user: "alerts", password: `p@ss:${TOKEN}` } });
    const url = new URL(`${hook.url}/alerts`);
    url.username = "alerts";
    url.password = `p@ss:${TOKEN}`;
    const result = await send(url.href);
    expect(hook.rejections()).toEqual([]);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("an Authorization header the channel sets itself wins over the URL's credentials", async () => {
    const hook = await receiver();
    const url = new URL(`${hook.url}/alerts`);
    url.username = "alerts";
    url.password = "other";
    expect(await send(url.href, { authorization: { secret: "HOOK_TOKEN" } })).toMatchObject({ ok: true });
    expect(hook.received[0]!.headers["authorization"]).toBe(`Bearer ${TOKEN}`);
  });
});

describe("headers HTTP cannot carry", () => {
  function hookChannel(url: string, headers: Record<string, string | { secret: string }>) {
    return testChannel("hook", "webhook", { url: `${url}/alerts`, headers, hmacSecret: null }) as Extract<ReturnType<typeof testChannel>, { kind: "webhook" }>;
  }
  function sendTo(channel: ReturnType<typeof hookChannel>, secrets: Record<string, string>) {
    return webhookNotifier(channel).send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [] }), monitor: null }, { signal: AbortSignal.timeout(5_000), secret: (n) => secrets[n], previousRef: null, now: Date.now() });
  }

  it("a secret with a line break in it (a token pasted from a CRLF file) says which header, never the value, and waits to be fixed", async () => {
    const hook = await receiver();
    const result = await sendTo(hookChannel(hook.url, { authorization: { secret: "HOOK_TOKEN" } }), { HOOK_TOKEN: `Bearer ${TOKEN}\r\nX-Injected: 1` });
    expect(hook.received).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/header authorization .*line break/);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("a header name HTTP does not allow fails for good with its name", async () => {
    const hook = await receiver();
    const result = await sendTo(hookChannel(hook.url, { "X Team": "payments" }), {});
    expect(hook.received).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toContain('"x team" is not a valid HTTP header name');
  });
});

describe("a receiver that hangs", () => {
  // The embedded worker reads a window of the oldest due lane heads. A destination with more than
  // that many alerts waiting for its 4 slots filled the window, so a page to any other channel
  // waited until the slow one's backlog had been tried (minutes): the window now holds at most
  // as many heads of one destination as it can send at once.
  it("does not hold up another channel, however many alerts wait for it", async () => {
    const slow = await receiver();
    const fast = await receiver();
    // Every request to the slow receiver hangs past the send timeout.
    slow.failFor(120_000, { status: 200, delayMs: 5_000 });
    const manifest = testManifest({
      monitors: [testMonitor("batch", { channels: ["slow"] }), testMonitor("api", { channels: ["fast"] })],
      channels: [testChannel("slow", "webhook", { url: `${slow.url}/alerts`, headers: {}, hmacSecret: null }), testChannel("fast", "webhook", { url: `${fast.url}/alerts`, headers: {}, hmacSecret: null })],
    });
    const h = makeHarness({ manifest, secrets: {}, options: { sendTimeoutMs: 1_000 } });
    cleanups.push(() => h.destroy());
    // A PromQL outage: one alert per series, each its own lane to the slow receiver.
    for (let i = 0; i < 530; i++) h.enqueue(intentFor("batch", "trigger", { dedupKey: `wk-batch-${i}`, labels: { instance: `node-${i}` } }));
    h.delivery.start();
    await until(() => slow.received.length >= 4, 10_000, "the slow receiver busy");
    const sentAt = Date.now();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => fast.received.length > 0, 20_000, "the page to the fast channel");
    expect(Date.now() - sentAt).toBeLessThan(3_000);
  }, 60_000);
});
