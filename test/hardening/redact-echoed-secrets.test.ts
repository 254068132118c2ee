import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { loadArtifact } from "../../runtime/artifact.js";
import { API_TOKEN_SECRET } from "../../runtime/http/api-auth.js";
import { createLogger } from "../../runtime/logger.js";
import { emailHtml, emailSubject, emailText } from "../../runtime/notify/channels/email/email-notifier.js";
import { opsgenieCreateBody } from "../../runtime/notify/channels/opsgenie/opsgenie-alert.js";
import { incidentBody } from "../../runtime/notify/channels/pagerduty-incident/pagerduty-incident-notifier.js";
import { pagerDutyEvent } from "../../runtime/notify/channels/pagerduty/pagerduty-event.js";
import { slackMessage } from "../../runtime/notify/channels/slack/slack-notifier.js";
import { webhookBody } from "../../runtime/notify/channels/webhook/webhook-notifier.js";
import type { MessageContext } from "../../runtime/notify/types.js";
import { createSecretSource } from "../../runtime/secrets.js";
import type { ChannelSpec, Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import type { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";

/**
 * A target that echoes the credential it was sent, at any offset of a response header and of a
 * JSON body, must not leak any piece of it: not in the result message, the stored rows, the API,
 * the logs, or any vendor payload. Failure lines cut echoed values to 80 characters and summaries
 * to 1,024, so a cut that came before redaction would leave most of a long secret behind.
 */

// Secrets never contain the filler, so a 6-character window of a secret cannot come from it.
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=\"\\";
const FILLER = "#";
const API_TOKEN = "api-token-for-the-redaction-test";

/** What the target echoes next: nothing (healthy) or the secret planted between fillers. */
let plant: { header: [number, number]; body: [number, number] } | null = null;

function echoTarget(): Server {
  return createServer((req, res) => {
    const sent = String(req.headers["authorization"] ?? "");
    if (plant === null) {
      res.writeHead(200, { "content-type": "application/json", "x-echo": "fine" }).end(JSON.stringify({ token: "fine" }));
      return;
    }
    const [hb, ha] = plant.header;
    const [bb, ba] = plant.body;
    res
      .writeHead(200, { "content-type": "application/json", "x-echo": FILLER.repeat(hb) + sent + FILLER.repeat(ha) })
      .end(JSON.stringify({ token: FILLER.repeat(bb) + sent + FILLER.repeat(ba) }));
  });
}

function echoMonitor(id: string, url: string, summary: string): MonitorSpec {
  const base = monitorSpec({ id });
  return monitorSpec({
    id,
    name: `Echo ${id}`,
    schedule: { kind: "every", every: "1h" },
    summary,
    check: {
      ...base.check,
      url,
      headers: { authorization: { secret: "ECHO_TOKEN" } },
      expect: { status: [], maxLatency: null, headers: { "x-echo": "fine" }, json: [{ path: "token", equals: "fine" }], bodyContains: null, tlsExpiryWithin: null },
    } as MonitorSpec["check"],
  });
}

/** Every 6-character window of the secret (the whole secret when it is shorter). */
function windows(secret: string): Set<string> {
  if (secret.length < 6) return new Set([secret]);
  const out = new Set<string>();
  for (let i = 0; i + 6 <= secret.length; i++) out.add(secret.slice(i, i + 6));
  return out;
}

function leakIn(haystack: string, secret: string): string | null {
  const size = Math.min(6, secret.length);
  const set = windows(secret);
  for (let i = 0; i + size <= haystack.length; i++) {
    const piece = haystack.slice(i, i + size);
    if (set.has(piece)) return haystack.slice(Math.max(0, i - 40), i + size + 40);
  }
  return null;
}

describe("secrets echoed by a target never reach results, the store, the API, logs or vendor payloads", () => {
  let dir: string;
  let target: Server;
  let runtime: Runtime;
  let apiUrl: string;
  let manifest: Manifest;
  let logs = "";
  const env: Record<string, string> = { ECHO_TOKEN: "placeholder-secret-value", [API_TOKEN_SECRET]: API_TOKEN };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-redact-"));
    await mkdir(join(dir, "state"), { recursive: true });
    target = echoTarget();
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(target.address() as { port: number }).port}/`;
    manifest = manifestOf(
      [
        echoMonitor("echo", url, "{{name}}: {{message}}"),
        // The summary's own 1,024-character cut lands inside the echoed text.
        echoMonitor("echo-long", url, `${"Checkout is failing. ".repeat(45)}{{message}}`),
      ],
      ["ECHO_TOKEN", API_TOKEN_SECRET],
    );
    await writeArtifact(join(dir, "artifact"), manifest);
    const artifact = await loadArtifact(join(dir, "artifact"));
    const secrets = createSecretSource({ declared: manifest.secrets, env, now: Date.now });
    const destination = new Writable({ write(chunk, _e, done) { logs += String(chunk); done(); } });
    runtime = await createRuntime({
      manifest: artifact.manifest,
      bundle: artifact.bundle,
      stateDir: join(dir, "state"),
      logger: createLogger({ secretValues: () => secrets.values(), destination }),
      secrets,
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
    });
    apiUrl = await runtime.start();
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    await new Promise<void>((r) => target?.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const api = async (path: string) => (await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();

  function storedRows(): string {
    const tables = (runtime.store as SqliteStore).db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    return tables.map((t) => JSON.stringify((runtime.store as SqliteStore).db.prepare(`SELECT * FROM "${t.name}"`).all())).join("\n");
  }

  function lastTrigger(monitorId: string): NotificationIntent {
    const rows = (runtime.store as SqliteStore).db.prepare("SELECT intent FROM outbox ORDER BY seq DESC").all() as { intent: string }[];
    const intent = rows.map((r) => JSON.parse(r.intent) as NotificationIntent).find((i) => i.monitorId === monitorId && i.type === "trigger");
    if (!intent) throw new Error(`no trigger for ${monitorId}`);
    return intent;
  }

  function payloads(intent: NotificationIntent): Record<string, string> {
    const monitor = manifest.monitors.find((m) => m.id === intent.monitorId)!;
    const message: MessageContext = { manifest, monitor };
    const og = { id: "og", kind: "opsgenie", region: "us", responders: [], tags: [], apiKey: { secret: "X" } } as unknown as Extract<ChannelSpec, { kind: "opsgenie" }>;
    const pdi = { id: "pdi", kind: "pagerdutyIncident", urgency: "high" } as unknown as Extract<ChannelSpec, { kind: "pagerdutyIncident" }>;
    return {
      pagerduty: JSON.stringify(pagerDutyEvent(intent, message, "routing-key")),
      pagerdutyIncident: JSON.stringify(incidentBody(intent, message, pdi, "PSERVICE")),
      slack: JSON.stringify(slackMessage(intent, message, null)),
      opsgenie: JSON.stringify(opsgenieCreateBody(intent, message, og)),
      email: [emailSubject(intent), emailText(intent, message), emailHtml(intent, message)].join("\n"),
      webhook: JSON.stringify(webhookBody(intent, message)),
    };
  }

  it("holds for secrets of 4 to 500 characters planted at any offset of an echoed header and JSON body", async () => {
    const secretArb = fc
      .array(fc.integer({ min: 0, max: SECRET_ALPHABET.length - 1 }), { minLength: 4, maxLength: 500 })
      .map((codes) => codes.map((c) => SECRET_ALPHABET[c]).join(""));
    const offset = fc.integer({ min: 0, max: 160 });
    const checked = { runs: 0 };
    await fc.assert(
      fc.asyncProperty(secretArb, offset, offset, offset, offset, async (secret, hb, ha, bb, ba) => {
        env["ECHO_TOKEN"] = secret;
        plant = null;
        await runtime.tickNow("echo");
        await runtime.tickNow("echo-long");
        plant = { header: [hb, ha], body: [bb, ba] };
        await runtime.tickNow("echo");
        await runtime.tickNow("echo-long");
        plant = null;

        const latest = (await runtime.store.recentResults("echo", 1))[0]!;
        // The planted value did reach the check: the failure is about the echo, with the secret removed.
        expect(latest.message).toMatch(/header x-echo is/);
        const haystacks: Record<string, string> = {
          resultMessages: (await Promise.all(["echo", "echo-long"].map(async (id) => (await runtime.store.recentResults(id, 2)).map((r) => r.message).join("\n")))).join("\n"),
          store: storedRows(),
          apiMonitor: (await api("/api/monitors/echo")) + (await api("/api/monitors/echo-long")),
          apiLists: (await api("/api/monitors")) + (await api("/api/alerts?all=1")),
          pages: (await api("/")) + (await api("/monitors/echo")) + (await api("/monitors/echo-long")),
          logs,
        };
        for (const id of ["echo", "echo-long"]) {
          for (const [name, text] of Object.entries(payloads(lastTrigger(id)))) haystacks[`${id} ${name} payload`] = text;
        }
        for (const [where, text] of Object.entries(haystacks)) {
          const leak = leakIn(text, secret);
          expect(leak, `a piece of the ${secret.length}-character secret reached ${where}`).toBeNull();
        }
        checked.runs++;
      }),
      {
        numRuns: 60,
        examples: [
          // The old cut kept 77 characters: secrets that start inside it and run past it.
          ["Qz7w", 74, 0, 74, 0],
          ["Qz7wX", 75, 3, 70, 3],
          ["Qz7wX9", 73, 0, 60, 0],
          ["L".repeat(20) + "0123456789abcdef".repeat(30), 30, 10, 10, 30],
          ["k9\"\\X".repeat(100), 0, 0, 0, 0],
        ],
      },
    );
    expect(checked.runs).toBeGreaterThanOrEqual(60);
  }, 90_000);
});
