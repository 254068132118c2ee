import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "./support/manifest.js";
import { bundleChild, notifications, startChild, waitFor, type RunningChild } from "./support/child-process.js";

/** Kill -9 between transition and delivery, then restart: no re-page, no forgotten resolve. */
describe("runtime restart after kill -9 (separate processes)", () => {
  let dir: string;
  let script: string;
  let target: Server;
  let status = 500;
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-restart-"));
    script = await bundleChild("restart");
    target = createServer((_req, res) => res.writeHead(status).end(status === 200 ? "ok" : "broken"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const port = (target.address() as { port: number }).port;
    const check = { ...monitorSpec({ id: "x" }).check, url: `http://127.0.0.1:${port}/health` } as ReturnType<typeof monitorSpec>["check"];
    await writeArtifact(join(dir, "artifact"), manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every: "1s" }, check })]));
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  const start = async (delivery: "log" | "hold") => {
    const child = await startChild(script, {
      WK_CHILD_ARTIFACT: join(dir, "artifact"),
      WK_CHILD_STATE: join(dir, "state"),
      WATCHKEEPER_API_TOKEN: "restart-test-token",
      ...(delivery === "hold" ? { WK_CHILD_DELIVERY: "hold" } : {}),
    });
    children.push(child);
    return child;
  };
  const kill9 = async (child: RunningChild) => {
    child.proc.kill("SIGKILL");
    await child.exited;
  };
  const outbox = () => {
    const db = new BetterSqlite3(join(dir, "state", "state.db"), { readonly: true });
    try {
      return db.prepare("SELECT id, json_extract(intent, '$.type') AS type, dispatched_at FROM outbox ORDER BY seq").all() as Array<{ id: string; type: string; dispatched_at: number | null }>;
    } finally {
      db.close();
    }
  };

  it("does not re-trigger a sent alert and still sends a resolve written before the kill", async () => {
    // Run 1: the target fails, the alert fires and the trigger is printed by the log channel.
    const first = await start("log");
    await waitFor(() => notifications(first.stdout()).some((n) => n.type === "trigger"), 15_000, "the trigger");
    const trigger = notifications(first.stdout()).find((n) => n.type === "trigger")!;
    expect(trigger).toMatchObject({ id: "wk-site:1", dedupKey: "wk-site" });
    await kill9(first);

    // Run 2: still failing for a few ticks (nothing new), then healthy: the resolve is written but
    // this process never dispatches, and is killed with the resolve still in the outbox.
    const second = await start("hold");
    await new Promise((r) => setTimeout(r, 3_000));
    expect(outbox().filter((r) => r.type === "trigger")).toHaveLength(1);
    status = 200;
    await waitFor(() => outbox().some((r) => r.type === "resolve"), 15_000, "the resolve intent");
    await kill9(second);
    expect(outbox()).toEqual([
      { id: "wk-site:1", type: "trigger", dispatched_at: expect.any(Number) },
      { id: "wk-site:2", type: "resolve", dispatched_at: null },
    ]);

    // Run 3: the pending resolve goes out; nothing is triggered again.
    const third = await start("log");
    await waitFor(() => notifications(third.stdout()).some((n) => n.type === "resolve"), 15_000, "the resolve to be sent");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(notifications(third.stdout()).map((n) => [n.id, n.type])).toEqual([["wk-site:2", "resolve"]]);
    expect(outbox().every((r) => r.dispatched_at !== null)).toBe(true);
    const alerts = (await (await fetch(`${third.url}/api/alerts?all=1`, { headers: { authorization: "Bearer restart-test-token" } })).json()) as { alerts: Array<{ state: string; sequence: number }> };
    expect(alerts.alerts).toMatchObject([{ state: "inactive", sequence: 2 }]);
    third.proc.kill("SIGTERM");
    expect(await third.exited).toBe(0);
  }, 90_000);
});
