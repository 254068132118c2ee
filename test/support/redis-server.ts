import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freeTcpPort } from "./free-port.js";
import { stopProcess, waitUntil } from "./process.js";

/**
 * A `redis-server` of a test's own, on a free loopback port with its data in a temp folder, that
 * the test may kill (-9) and start again on the same folder. Append-only, fsync on every write by
 * default: the production settings docs/scale-out.md asks for.
 */
export class OwnRedis {
  readonly dir = mkdtempSync(join(tmpdir(), "wk-redis-"));
  port = 0;
  private child: ChildProcess | null = null;

  constructor(private readonly args: string[] = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freeTcpPort();
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--maxmemory-policy", "noeviction", ...this.args], { stdio: "ignore" });
    this.child = child;
    await waitUntil(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${this.port}`, 10_000, 50);
  }

  /** kill -9: no shutdown save, no goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
    this.child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
