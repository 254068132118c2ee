import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import getTLSOptions from "smtp-server/lib/tls-options.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { intentFor } from "../../../../test/delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../../../../test/delivery/support/manifest.js";
import type { SendResult } from "../../types.js";
import { emailNotifier } from "./email-notifier.js";
import { GuardedSmtpConnection } from "./guarded-smtp-connection.js";
import { ReplySizeGuard, SMTP_REPLY_MAX_BYTES, SMTP_REPLY_MAX_LINES } from "./smtp-reply-limit.js";

/** The longest the event loop may stall while a hostile server talks to us. */
const MAX_STALL_MS = 200;
/** Never more than this from one server, so a regression fails instead of filling memory. */
const FLOOD_CAP_BYTES = 64 * 1024 * 1024;

type Answer = (socket: Socket, command: string) => void;

/** An SMTP server on loopback (a plain net server) that greets, then answers as the test says. */
async function smtpServer(answer: Answer): Promise<{ port: number; closed: Promise<void>; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let onClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      onClosed();
    });
    socket.write("220 mx.example.com ESMTP\r\n");
    lines(socket, (command) => answer(socket, command));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    closed,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Calls `onLine` with each command line the client sends on `socket`. */
function lines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = "";
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString("latin1");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
      onLine(line);
    }
  };
  socket.on("data", onData);
  (socket as Socket & { stopLines?: () => void }).stopLines = () => socket.off("data", onData);
}

/** Writes `chunk` as fast as the client reads it, until it hangs up (or the cap is reached). */
function flood(socket: Socket, chunk: Buffer): void {
  let sent = 0;
  const pump = () => {
    while (!socket.destroyed && sent < FLOOD_CAP_BYTES) {
      sent += chunk.length;
      if (!socket.write(chunk)) return;
    }
  };
  socket.on("drain", pump);
  pump();
}

/** Endless `250-` continuation lines: a multi-line reply that never ends. */
const endlessContinuation: Answer = (socket, command) => {
  if (/^EHLO /i.test(command)) flood(socket, Buffer.from("250-aaaa\r\n".repeat(6554)));
};

/** One line that never ends: `250-` and then letters without a newline. */
const endlessLine: Answer = (socket, command) => {
  if (!/^EHLO /i.test(command)) return;
  socket.write("250-");
  flood(socket, Buffer.alloc(64 * 1024, "a"));
};

/** Greets and then never answers EHLO. */
const silent: Answer = () => {};

function channel(port: number) {
  return testChannel("mail", "email", {
    smtp: { host: "127.0.0.1", port, secure: false, user: null, password: null },
    from: "watchkeeper@example.com",
    to: ["oncall@example.com"],
  }) as Extract<ReturnType<typeof testChannel>, { kind: "email" }>;
}

/**
 * Measures the longest time the event loop went without running a timer. Read after `stop()`,
 * which waits one more tick so a stall right at the end is counted too.
 */
function stallMeter(): { stop(): Promise<number> } {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 5);
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 20));
      clearInterval(timer);
      return Math.max(max, performance.now() - last);
    },
  };
}

/** Sends one email through the notifier while measuring the longest event-loop stall. */
async function sendMeasured(port: number, timeoutMs: number, signal: AbortSignal): Promise<{ result: SendResult; elapsedMs: number; stallMs: number }> {
  const mail = channel(port);
  const notifier = emailNotifier(mail, { timeoutMs });
  const message = { manifest: testManifest({ monitors: [testMonitor("api", { channels: ["mail"] })], channels: [mail] }), monitor: null };
  const meter = stallMeter();
  const started = performance.now();
  try {
    const result = await notifier.send(intentFor("api", "trigger"), message, { signal, secret: () => undefined, previousRef: null, now: Date.now() });
    const elapsedMs = performance.now() - started;
    return { result, elapsedMs, stallMs: await meter.stop() };
  } finally {
    notifier.close?.();
  }
}

/** Resolves true when `promise` settles within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
}

// Loading nodemailer on the first email is a one-off stall of its own, not what is measured here.
beforeAll(async () => {
  await import("./smtp-transport.js");
});

describe("an SMTP server that floods its replies", () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it.each([
    ["endless 250- lines", endlessContinuation],
    ["a line that never ends", endlessLine],
  ])("%s: the email fails as retryable at once, the runtime keeps running and the connection is closed", async (_name, answer) => {
    const server = await smtpServer(answer);
    stop = server.stop;
    const { result, elapsedMs, stallMs } = await sendMeasured(server.port, 5000, AbortSignal.timeout(5000));

    expect(result).toMatchObject({ ok: false, failure: { retryable: true, reason: "SMTP server sent an oversized reply" }, answer: "" });
    expect(elapsedMs).toBeLessThan(5000);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
    expect(await within(server.closed, 2000)).toBe(true);
  }, 30_000);

  it("the reply limit holds after STARTTLS", async () => {
    const server = await smtpServer((socket, command) => {
      if (/^EHLO /i.test(command)) socket.write("250-mx.example.com\r\n250 STARTTLS\r\n");
      if (/^STARTTLS$/i.test(command)) {
        (socket as Socket & { stopLines: () => void }).stopLines();
        socket.write("220 go ahead\r\n");
        const secure = new TLSSocket(socket, { isServer: true, ...getTLSOptions() });
        secure.on("error", () => {});
        lines(secure as unknown as Socket, (inner) => endlessContinuation(secure as unknown as Socket, inner));
      }
    });
    stop = server.stop;
    const connection = new GuardedSmtpConnection({ host: "127.0.0.1", port: server.port, tls: { rejectUnauthorized: false }, socketTimeout: 5000 });
    const meter = stallMeter();
    const failure = await new Promise<{ code?: string; message: string }>((resolve) => {
      connection.once("error", resolve);
      connection.connect(() => resolve({ message: "connected" }));
    });
    const stallMs = await meter.stop();
    connection.abort();

    expect(failure).toMatchObject({ code: "EREPLYSIZE", message: "SMTP server sent an oversized reply" });
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
    expect(await within(server.closed, 2000)).toBe(true);
  }, 30_000);
});

describe("an SMTP attempt that is aborted", () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it("closes its connection at once, long before the SMTP timeouts would", async () => {
    const server = await smtpServer(silent);
    stop = server.stop;
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("attempt timed out")), 300);
    const { result, elapsedMs } = await sendMeasured(server.port, 60_000, abort.signal);

    expect(result).toMatchObject({ ok: false, failure: { retryable: true, reason: "timed out waiting for the SMTP server" } });
    expect(elapsedMs).toBeLessThan(5000);
    expect(await within(server.closed, 1000)).toBe(true);
  }, 30_000);
});

describe("the SMTP reply limit", () => {
  const bytes = (text: string) => Buffer.from(text, "latin1");

  it("takes any number of ordinary replies, however much they add up to", () => {
    const guard = new ReplySizeGuard();
    const ehlo = bytes("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-AUTH LOGIN PLAIN\r\n250 SMTPUTF8\r\n");
    for (let i = 0; i < 1000; i++) expect(guard.accept(ehlo)).toBe(true);
  });

  it("counts a reply across chunks, split anywhere", () => {
    const guard = new ReplySizeGuard(64, 100);
    const reply = "250-" + "a".repeat(40) + "\r\n250-" + "b".repeat(40) + "\r\n250 ok\r\n";
    const chunks = [...reply].map(bytes);
    expect(chunks.every((chunk) => guard.accept(chunk))).toBe(false);
  });

  it("refuses a reply over the byte limit, a line without its newline, and too many lines", () => {
    const long = "250-" + "a".repeat(100) + "\r\n";
    expect(new ReplySizeGuard().accept(bytes(long.repeat(Math.ceil(SMTP_REPLY_MAX_BYTES / long.length))))).toBe(false);
    expect(new ReplySizeGuard().accept(bytes("220 " + "a".repeat(SMTP_REPLY_MAX_BYTES)))).toBe(false);
    expect(new ReplySizeGuard().accept(bytes("250-x\r\n".repeat(SMTP_REPLY_MAX_LINES)))).toBe(false);
    expect(new ReplySizeGuard().accept(bytes("250-x\r\n".repeat(SMTP_REPLY_MAX_LINES - 1) + "250 x\r\n"))).toBe(true);
  });

  it("frames as nodemailer does: only a line of digits and a dash continues a reply", () => {
    const guard = new ReplySizeGuard(32, 100);
    expect(guard.accept(bytes("250 " + "a".repeat(20) + "\r\n" + "250 " + "a".repeat(20) + "\r\n"))).toBe(true);
    expect(guard.accept(bytes("2500000000-" + "a".repeat(20) + "\r\n" + "250 " + "a".repeat(20) + "\r\n"))).toBe(false);
  });
});
