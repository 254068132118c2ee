import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SmtpFixture } from "../support/vendors/index.js";
import { intentFor, makeHarness, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor } from "./support/manifest.js";
import { dropPrefix, queuedReplica, redisAnswers, TEST_REDIS_URL, testPrefix, type QueuedReplica } from "./support/queued.js";

// An SMTP server that takes an email for some recipients and defers others (4xx at RCPT TO, as
// greylisting does) leaves a delivery that is half done. The recipients still owed are kept with
// the delivery, so a runtime restarted before the retry sends it to them only: the others are not
// paged twice, and the deferred ones are not forgotten.

const RECIPIENTS = ["a@example.com", "b@example.com", "c@example.com"];
// Long enough to stop the first runtime before its retry, short enough for the second to send it soon.
const BACKOFF = { initialMs: 2_000, maxMs: 2_000 };
const redisUp = await redisAnswers();

function manifestFor(port: number) {
  return testManifest({
    monitors: [testMonitor("api", { channels: ["mail"] })],
    channels: [testChannel("mail", "email", { smtp: { host: "127.0.0.1", port, secure: false, user: null, password: null }, from: "wk@example.com", to: RECIPIENTS })],
  });
}

describe("an email partly accepted, across a restart", () => {
  const smtp = new SmtpFixture();
  beforeAll(async () => void (await smtp.start()));
  afterAll(async () => smtp.stop());
  afterEach(() => {
    smtp.mails.length = 0;
    smtp.refuseAtRcpt.clear();
  });

  describe("embedded (SQLite)", () => {
    const harnesses: Harness[] = [];
    afterEach(async () => {
      for (const h of harnesses.splice(0)) await h.destroy();
    });

    it("a runtime restarted before the retry sends the email only to the recipients the server deferred", async () => {
      smtp.refuseAtRcpt.set("b@example.com", 450);
      const manifest = manifestFor(smtp.port);
      const first = makeHarness({ manifest, secrets: {}, options: { backoff: BACKOFF } });
      harnesses.push(first);
      first.delivery.start();
      first.enqueue(intentFor("api", "trigger"));
      await until(() => first.deliveries.forAlert("wk-api")[0]?.attempts === 1, 10_000, "the partly accepted attempt recorded");
      await first.close();
      expect(smtp.mails.map((m) => m.to)).toEqual([["a@example.com", "c@example.com"]]);

      smtp.refuseAtRcpt.clear();
      const second = makeHarness({ manifest, secrets: {}, dir: first.dir, options: { backoff: BACKOFF } });
      harnesses.push(second);
      second.delivery.start();
      await until(() => second.deliveries.forAlert("wk-api")[0]?.status === "sent", 10_000, "the retry sent");
      expect(smtp.mails.map((m) => m.to)).toEqual([["a@example.com", "c@example.com"], ["b@example.com"]]);
    });
  });

  describe.skipIf(!redisUp)("scale-out (Redis)", () => {
    const prefixes: string[] = [];
    const replicas: QueuedReplica[] = [];
    afterEach(async () => {
      for (const r of replicas.splice(0)) await r.close();
      for (const p of prefixes.splice(0)) await dropPrefix(TEST_REDIS_URL, p);
    });

    it("a replica that takes the delivery over after a restart sends it only to the recipients the server deferred", async () => {
      smtp.refuseAtRcpt.set("b@example.com", 450);
      const manifest = manifestFor(smtp.port);
      const prefix = testPrefix();
      prefixes.push(prefix);
      const first = await queuedReplica({ prefix, manifest, secrets: {}, options: { backoff: BACKOFF } });
      replicas.push(first);
      first.delivery.start();
      await first.enqueue(intentFor("api", "trigger"));
      await vi.waitFor(async () => expect((await first.store.deliveriesForAlert("wk-api"))[0]?.attempts).toBe(1), { timeout: 10_000, interval: 10 });
      await first.close();
      expect(smtp.mails.map((m) => m.to)).toEqual([["a@example.com", "c@example.com"]]);

      smtp.refuseAtRcpt.clear();
      const second = await queuedReplica({ prefix, manifest, secrets: {}, options: { backoff: BACKOFF } });
      replicas.push(second);
      second.delivery.start();
      await vi.waitFor(async () => expect((await second.store.deliveriesForAlert("wk-api"))[0]?.status).toBe("sent"), { timeout: 10_000, interval: 20 });
      expect(smtp.mails.map((m) => m.to)).toEqual([["a@example.com", "c@example.com"], ["b@example.com"]]);
    });
  });
});
