import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "./support/manifest.js";
import { bundleChild, notifications, startChild, waitFor, type RunningChild } from "./support/child-process.js";

const MONITORS = 120;

/**
 * Group commit under kill -9: 120 monitors every second on the same tick against a target that
 * flips between failing and healthy, so batches of evaluations with triggers and resolves are
 * in flight whenever the process dies. Whatever the moment, each alert's outbox must read
 * trigger, resolve, trigger, ... with no gap and no repeat, the alert row must agree with it, and
 * every notification printed must be one that committed.
 */
describe("group commit survives kill -9 with batches in flight (separate processes)", () => {
  let dir: string;
  let script: string;
  let target: Server;
  let flipping: NodeJS.Timeout | null = null;
  let status = 500;
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-group-kill-"));
    script = await bundleChild("group-kill");
    target = createServer((_req, res) => res.writeHead(status).end(status === 200 ? "ok" : "broken"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const port = (target.address() as { port: number }).port;
    const monitors = Array.from({ length: MONITORS }, (_, n) => {
      const check = { ...monitorSpec({ id: "x" }).check, url: `http://127.0.0.1:${port}/m${n}` } as ReturnType<typeof monitorSpec>["check"];
      return monitorSpec({ id: `m${n}`, schedule: { kind: "every", every: "1s" }, check });
    });
    await writeArtifact(join(dir, "artifact"), manifestOf(monitors));
  });

  afterAll(async () => {
    if (flipping) clearInterval(flipping);
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  const start = async () => {
    const child = await startChild(script, { WK_CHILD_ARTIFACT: join(dir, "artifact"), WK_CHILD_STATE: join(dir, "state"), WK_CHILD_CONCURRENCY: "256" });
    children.push(child);
    return child;
  };
  const read = <T>(sql: string): T[] => {
    const db = new BetterSqlite3(join(dir, "state", "state.db"), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  it("never loses a transition, never pages twice, and sends only what committed", async () => {
    flipping = setInterval(() => (status = status === 200 ? 500 : 200), 700);
    const printed: Array<{ id: string; type: string }> = [];
    for (const waitMs of [2_200, 3_100, 2_600]) {
      const child = await start();
      await new Promise((r) => setTimeout(r, waitMs));
      child.proc.kill("SIGKILL");
      await child.exited;
      printed.push(...notifications(child.stdout()));
    }
    clearInterval(flipping);
    flipping = null;
    expect(read<{ n: number }>("SELECT COUNT(*) AS n FROM outbox")[0]!.n).toBeGreaterThan(MONITORS);

    // A healthy target: every alert still firing after the kills must resolve.
    status = 200;
    const last = await start();
    await waitFor(() => read<{ n: number }>("SELECT COUNT(*) AS n FROM alerts WHERE state != 'inactive'")[0]!.n === 0 && read<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL")[0]!.n === 0, 20_000, "every alert resolved and sent");
    last.proc.kill("SIGTERM");
    const code = await last.exited;
    expect({ code, signal: last.proc.signalCode }, `the last runtime's stderr:\n${last.stderr().slice(-4000)}`).toEqual({ code: 0, signal: null });
    printed.push(...notifications(last.stdout()));

    const outbox = read<{ id: string; dedup_key: string; type: string }>("SELECT id, dedup_key, json_extract(intent, '$.type') AS type FROM outbox ORDER BY seq");
    const byKey = new Map<string, Array<{ id: string; type: string }>>();
    for (const row of outbox) byKey.set(row.dedup_key, [...(byKey.get(row.dedup_key) ?? []), row]);
    const alerts = new Map(read<{ dedup_key: string; state: string; sequence: number }>("SELECT dedup_key, state, json_extract(data, '$.sequence') AS sequence FROM alerts").map((a) => [a.dedup_key, a]));
    const events = read<{ dedup_key: string; kind: string }>("SELECT dedup_key, kind FROM alert_events ORDER BY id");
    for (const [key, intents] of byKey) {
      // No gap and no repeat: intents 1..n, alternating trigger and resolve, ending resolved.
      expect(intents.map((i) => i.id)).toEqual(intents.map((_, n) => `${key}:${n + 1}`));
      expect(intents.map((i) => i.type)).toEqual(intents.map((_, n) => (n % 2 === 0 ? "trigger" : "resolve")));
      expect(intents.at(-1)!.type).toBe("resolve");
      // The alert row and its timeline committed with its intents.
      expect(alerts.get(key)).toMatchObject({ state: "inactive", sequence: intents.length });
      const kinds = events.filter((e) => e.dedup_key === key && (e.kind === "firing" || e.kind === "resolved")).map((e) => e.kind);
      expect(kinds).toEqual(intents.map((i) => (i.type === "trigger" ? "firing" : "resolved")));
    }
    // Every notification that went out is one that committed, as committed.
    const committed = new Map(outbox.map((o) => [o.id, o.type]));
    expect(printed.length).toBeGreaterThan(0);
    for (const n of printed) expect(committed.get(n.id)).toBe(n.type);
  }, 120_000);
});
