import { createServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkContext } from "../../../test/support/check-context.js";
import { CheckError } from "../check-error.js";
import { runTcpCheck } from "./tcp-check.js";

let open: Server;
let openPort: number;
let closedPort: number;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  open = createServer((socket) => socket.end());
  openPort = await listen(open);
  const closed = createServer();
  closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  await new Promise((r) => open.close(r));
});

describe("tcp check", () => {
  it("passes when the port accepts a connection and reports connect time as value", async () => {
    const [result] = await runTcpCheck({ kind: "tcp", host: "127.0.0.1", port: openPort, timeout: "2s" }, checkContext());
    expect(result!.ok).toBe(true);
    expect(result!.value).toBeGreaterThanOrEqual(0);
    expect(result!.message).toContain(`connected to 127.0.0.1:${openPort}`);
  });

  it("fails with the reason when the port refuses connections", async () => {
    const [result] = await runTcpCheck({ kind: "tcp", host: "127.0.0.1", port: closedPort, timeout: "2s" }, checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.value).toBeNull();
    expect(result!.message).toBe(`cannot connect to 127.0.0.1:${closedPort}: ECONNREFUSED`);
  });

  it("a resolver that did not answer for the host is a check error (onError decides), not a failed port", async () => {
    const resolverDown = async () => ({ kind: "failed" as const, code: "EAI_AGAIN" });
    const error = await runTcpCheck({ kind: "tcp", host: "db.example.test", port: 5432, timeout: "2s" }, checkContext({ tcpConnect: resolverDown })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckError);
    expect(error).toMatchObject({ reason: "unreachable", message: "host db.example.test does not resolve for now (EAI_AGAIN): the port was not tried" });
  });

  it("reports the runtime's deadline as a failed connection, and a shutdown as cancelled", async () => {
    const deadline = new AbortController();
    deadline.abort(new CheckError("timeout", "check timed out"));
    const [result] = await runTcpCheck({ kind: "tcp", host: "127.0.0.1", port: openPort, timeout: "2s" }, checkContext({ signal: deadline.signal }));
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe(`no connection to 127.0.0.1:${openPort} within 2s`);
    const shutdown = new AbortController();
    shutdown.abort();
    await expect(runTcpCheck({ kind: "tcp", host: "127.0.0.1", port: openPort, timeout: "2s" }, checkContext({ signal: shutdown.signal }))).rejects.toMatchObject({ reason: "aborted" });
  });
});
