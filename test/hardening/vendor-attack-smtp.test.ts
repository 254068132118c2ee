import { Resolver } from "node:dns";
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { classifySmtp, emailNotifier } from "../../runtime/notify/channels/email/email-notifier.js";
import type { Notifier, SendResult } from "../../runtime/notify/types.js";
import { intentFor } from "../delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";
import { startDnsmasq } from "../support/dnsmasq.js";
import { selfSignedCert } from "../support/tls.js";
import { bareLineBreakRefusal, hasBareLineBreak } from "../support/vendors/smtp-fixture.js";

// How the email channel behaves against a real SMTP server (the `smtp-server` package) that
// answers as mail servers do: temporary and permanent refusals, greylisting, TLS, AUTH.

const PASSWORD = "smtp-password-canary-7731";

interface Received {
  from: string;
  to: string[];
  raw: string;
}

interface Served {
  port: number;
  /** Drops every open connection at once, as a server that crashes does. */
  dropConnections(): void;
  mails: Received[];
  logins: string[];
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A real SMTP server on `host` that records what it accepted and who logged in. */
async function serve(options: SMTPServerOptions, host = "127.0.0.1"): Promise<Served> {
  const served: Served = { port: 0, mails: [], logins: [], dropConnections: () => undefined };
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    onAuth: (auth, _session, callback) => {
      served.logins.push(`${auth.username}:${auth.password}`);
      callback(null, { user: auth.username });
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        // What a server with a size limit does (RFC 1870): the whole message is refused.
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(refuse(552, "5.3.4 Message size exceeds fixed limit"));
        if (hasBareLineBreak(Buffer.concat(chunks).toString("latin1"))) return callback(bareLineBreakRefusal());
        served.mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
        callback();
      });
    },
    ...options,
  });
  served.dropConnections = () => {
    for (const connection of (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections) connection._socket.destroy();
  };
  // A client that hangs up in the middle of a TLS handshake is the server's error to report, not the test's.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  served.port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return served;
}

function mailChannel(port: number, o: { host?: string; password?: boolean; to?: string[]; from?: string; secure?: boolean } = {}) {
  return testChannel("mail", "email", {
    smtp: { host: o.host ?? "127.0.0.1", port, secure: o.secure ?? false, user: o.password ? "mailer" : null, password: o.password ? { secret: "SMTP_PASSWORD" } : null },
    from: o.from ?? "watchkeeper@example.com",
    to: o.to ?? ["oncall@example.com"],
  }) as Extract<ReturnType<typeof testChannel>, { kind: "email" }>;
}

function notifierFor(channel: ReturnType<typeof mailChannel>): Notifier {
  const notifier = emailNotifier(channel, { timeoutMs: 5_000 });
  stops.push(async () => notifier.close?.());
  return notifier;
}

/** One attempt; `owedTo` is what the delivery stored from an earlier, partly accepted attempt. */
function sendWith(notifier: Notifier, channel: ReturnType<typeof mailChannel>, intent: NotificationIntent, monitorName?: string, owedTo?: string[]): Promise<SendResult> {
  const monitor = testMonitor("api", { channels: ["mail"], ...(monitorName ? { name: monitorName } : {}) });
  const message = { manifest: testManifest({ monitors: [monitor], channels: [channel] }), monitor };
  const secret = (n: string) => (n === "SMTP_PASSWORD" ? PASSWORD : undefined);
  return notifier.send(intent, message, { signal: AbortSignal.timeout(5_000), secret, previousRef: null, ...(owedTo ? { owedTo } : {}), now: Date.now() });
}

/** The recipients a partly accepted attempt says are still owed. */
function owedAfter(result: SendResult): string[] | undefined {
  return result.ok ? undefined : result.failure.owedTo;
}

function send(port: number, o: Parameters<typeof mailChannel>[1] = {}, intent = intentFor("api", "trigger")): Promise<SendResult> {
  const channel = mailChannel(port, o);
  return sendWith(notifierFor(channel), channel, intent);
}

function refuse(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

describe("SMTP replies decide the retry", () => {
  it("a 454 temporary authentication failure is retried, not given up", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true, onAuth: (_a, _s, cb) => cb(refuse(454, "4.7.0 Temporary authentication failure")) });
    const result = await send(server.port, { password: true });
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it("a 535 wrong password fails for good, says so, and never shows the password", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true, onAuth: (a, _s, cb) => cb(refuse(535, `5.7.8 Authentication failed for ${a.username} ${a.password}`)) });
    const result = await send(server.port, { password: true });
    expect(result).toMatchObject({ ok: false, status: 535, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/authentication failed \(535\).*user name or password/);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    expect(JSON.stringify(result)).not.toContain(Buffer.from(`\u0000mailer\u0000${PASSWORD}`).toString("base64"));
  });

  it("a 5xx refusal is given up with the server's own answer in the reason and the answer", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"], onRcptTo: (_a, _s, cb) => cb(refuse(550, "5.1.1 User unknown in virtual mailbox table")) });
    const result = await send(server.port);
    expect(result).toMatchObject({ ok: false, status: 550, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toContain("5.1.1 User unknown");
    expect(result.answer).toContain("5.1.1 User unknown");
  });

  it("552 (message too big) after DATA is permanent and quoted", async () => {
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onData: (stream, _s, cb) => {
        stream.resume();
        stream.on("end", () => cb(refuse(552, "5.3.4 Message size exceeds fixed limit")));
      },
    });
    const result = await send(server.port);
    expect(result).toMatchObject({ ok: false, status: 552, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toContain("5.3.4 Message size exceeds fixed limit");
  });

  it("a message refused as too big (552) because of long diagnostics goes out again at once with them shortened", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"], size: 40_000 });
    const intent = intentFor("api", "trigger", { details: { diagnostics: "sweep line\n".repeat(6_000) } });
    const result = await send(server.port, {}, intent);
    expect(result).toMatchObject({ ok: true });
    expect(server.mails).toHaveLength(1);
    expect(plainPart(server.mails[0]!.raw)).toMatch(/Diagnostics:\nsweep line\n[\s\S]*truncated \d+ characters/);
  });

  it("a greylisted recipient (450) next to an accepting one is retried alone: nobody dropped, nobody twice", async () => {
    let greylisted = true;
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => (address.address.startsWith("grey") && greylisted ? cb(refuse(450, "4.7.1 Greylisted, please try again later")) : cb()),
    });
    const channel = mailChannel(server.port, { to: ["oncall@example.com", "grey@example.org"] });
    const notifier = notifierFor(channel);
    const intent = intentFor("api", "trigger");
    const first = await sendWith(notifier, channel, intent);
    expect(first).toMatchObject({ ok: false, failure: { retryable: true } });
    if (first.ok) throw new Error("sent");
    expect(first.failure.reason).toContain("grey@example.org");
    expect(first.failure.owedTo).toEqual(["grey@example.org"]);
    greylisted = false;
    // A fresh notifier, as after a restart: who is owed comes with the delivery, not from memory.
    const retry = await sendWith(notifierFor(channel), channel, intent, undefined, owedAfter(first));
    expect(retry).toMatchObject({ ok: true });
    expect(server.mails.map((m) => m.to)).toEqual([["oncall@example.com"], ["grey@example.org"]]);
  });

  it("a recipient refused with 552 at RCPT TO (too many recipients) is retried, as RFC 5321 asks, not dropped", async () => {
    let full = true;
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => (address.address.startsWith("b@") && full ? cb(refuse(552, "5.5.3 Too many recipients")) : cb()),
    });
    const channel = mailChannel(server.port, { to: ["a@example.com", "b@example.com"] });
    const notifier = notifierFor(channel);
    const intent = intentFor("api", "trigger");
    const first = await sendWith(notifier, channel, intent);
    expect(first).toMatchObject({ ok: false, failure: { retryable: true, owedTo: ["b@example.com"] } });
    full = false;
    expect(await sendWith(notifier, channel, intent, undefined, owedAfter(first))).toMatchObject({ ok: true });
    expect(server.mails.map((m) => m.to)).toEqual([["a@example.com"], ["b@example.com"]]);
  });

  it("a recipient refused for good next to a deferred one is named in the attempt, not lost behind the deferral", async () => {
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => cb(address.address.startsWith("grey") ? refuse(450, "4.7.1 Greylisted") : address.address.startsWith("gone") ? refuse(550, "5.1.1 User unknown") : undefined),
    });
    const result = await send(server.port, { to: ["oncall@example.com", "gone@example.com", "grey@example.org"] });
    expect(result).toMatchObject({ ok: false, failure: { retryable: true, owedTo: ["grey@example.org"] } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/deferred grey@example\.org.*refused gone@example\.com \(550 5\.1\.1 User unknown\)/);
    expect(result.answer).toContain("gone@example.com");
  });

  it("a retry owed to recipients a rollout has since removed from the channel goes only to those still listed", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const channel = mailChannel(server.port, { to: ["a@example.com", "Ops <ops@example.com>"] });
    const intent = intentFor("api", "trigger");
    expect(await sendWith(notifierFor(channel), channel, intent, undefined, ["gone@example.com", "ops@example.com"])).toMatchObject({ ok: true });
    expect(await sendWith(notifierFor(channel), channel, intent, undefined, ["gone@example.com"])).toMatchObject({ ok: true });
    expect(server.mails.map((m) => m.to)).toEqual([["ops@example.com"]]);
  });

  it.each([["an internationalized domain", "josé@exämple.com"], ["a display name and capitals", "Ops Team <Ops@Example.COM>"]])("a deferred recipient written with %s is owed and sent on retry, not taken for one the channel dropped", async (_what, written) => {
    let greylisted = true;
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => (address.address !== "oncall@example.com" && greylisted ? cb(refuse(450, "4.7.1 Greylisted")) : cb()),
    });
    const channel = mailChannel(server.port, { to: ["oncall@example.com", written] });
    const intent = intentFor("api", "trigger");
    const first = await sendWith(notifierFor(channel), channel, intent);
    expect(first).toMatchObject({ ok: false, failure: { retryable: true } });
    greylisted = false;
    expect(await sendWith(notifierFor(channel), channel, intent, undefined, owedAfter(first))).toMatchObject({ ok: true });
    expect(server.mails).toHaveLength(2);
    expect(server.mails[1]!.to).toHaveLength(1);
    expect(server.mails[1]!.to[0]).not.toBe("oncall@example.com");
  });

  it("every recipient refused, one of them only for now: retried", async () => {
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => cb(address.address.startsWith("grey") ? refuse(450, "4.7.1 Greylisted") : refuse(550, "5.1.1 User unknown")),
    });
    const result = await send(server.port, { to: ["grey@example.org", "gone@example.com"] });
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
  });

  it("a server that closes the connection in the middle of DATA: retryable, not lost", async () => {
    const server: Served = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onData: (stream) => {
        stream.once("data", () => server.dropConnections());
        stream.resume();
      },
    });
    const started = Date.now();
    const result = await send(server.port);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(result).toMatchObject({ ok: false });
    if (result.ok) throw new Error("sent");
    expect(result.failure.retryable).toBe(true);
  });
});

describe("TLS and the password", () => {
  it("a STARTTLS certificate that cannot be verified fails as retryable and says why", async () => {
    const cert = await selfSignedCert(2);
    const server = await serve({ key: cert.key, cert: cert.cert, disabledCommands: ["AUTH"] });
    const result = await send(server.port, { host: "localhost" });
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/certificate/);
    expect(server.mails).toEqual([]);
  });

  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i): i is NetworkInterfaceInfo => !!i && !i.internal && i.family === "IPv4");
  it.skipIf(!lan)("the password is never sent in clear to a server across the network that does not offer STARTTLS; the channel is named with the fix, and not retried", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true }, lan!.address);
    const result = await send(server.port, { host: lan!.address, password: true });
    expect(server.logins).toEqual([]);
    expect(server.mails).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/email channel "mail".*did not offer STARTTLS.*only sent over TLS/);
    expect(result.failure.reason).toMatch(/secure: true/);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it.skipIf(!lan)("a channel with a password sends nothing in clear across the network when AUTH is stripped along with STARTTLS", async () => {
    // An attacker on the path who deletes AUTH too would otherwise be handed the alert, unauthenticated and unencrypted, as if delivered.
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] }, lan!.address);
    const result = await send(server.port, { host: lan!.address, password: true });
    expect(server.mails).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/email channel "mail".*did not offer STARTTLS/);
  });

  it.each([["PLAIN"], ["LOGIN"]])("a server that offers only AUTH %s gets the password that way, and the mail", async (method) => {
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true, authMethods: [method] });
    expect(await send(server.port, { password: true })).toMatchObject({ ok: true });
    expect(server.logins).toEqual([`mailer:${PASSWORD}`]);
    expect(server.mails).toHaveLength(1);
  });

  it.skipIf(!lan)("a loopback name that DNS answers with an address across the network gets no password in clear: loopback is the address connected to, not the name", async () => {
    // An attacker on the path answers DNS as well: `*.localhost` (and `localhost`, which nodemailer
    // asks DNS for first) can be pointed anywhere. Here it points at this host's LAN address.
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true }, lan!.address);
    const dns = await startDnsmasq([`--host-record=relay.localhost,${lan!.address}`]);
    // nodemailer asks a resolver of its own (new dns.Resolver()): its questions go to this dnsmasq.
    const resolve4 = Resolver.prototype.resolve4;
    const toDnsmasq = new Resolver();
    toDnsmasq.setServers([dns.address]);
    Resolver.prototype.resolve4 = function (this: Resolver, ...args: unknown[]) {
      return (resolve4 as (...a: unknown[]) => void).apply(toDnsmasq, args);
    } as typeof resolve4;
    try {
      const result = await send(server.port, { host: "relay.localhost", password: true });
      expect(server.logins).toEqual([]);
      expect(server.mails).toEqual([]);
      expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
      if (result.ok) throw new Error("sent");
      expect(result.failure.reason).toMatch(/did not offer STARTTLS.*only sent over TLS/);
    } finally {
      Resolver.prototype.resolve4 = resolve4;
      await dns.stop();
    }
  });

  it("a relay on loopback still takes the password without TLS", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    expect(await send(server.port, { password: true })).toMatchObject({ ok: true });
    expect(server.logins).toEqual([`mailer:${PASSWORD}`]);
  });
});

describe("smtp.secure against the port's TLS mode", () => {
  it("secure: true against a port that speaks plain text then STARTTLS fails at once, not retried, saying to set secure: false", async () => {
    const server = await serve({ disabledCommands: ["AUTH"] });
    const result = await send(server.port, { secure: true, password: true });
    expect(server.mails).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toBe(
      `email channel "mail": the SMTP server on port ${server.port} answered in plain text, but smtp.secure: true expects TLS from the first byte, so nothing was sent; ` +
        "set smtp.secure: false if the server uses STARTTLS on this port (as on 587 and 25), or use its implicit-TLS port (usually 465)",
    );
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it("on port 587 the reason says that port speaks plain text then STARTTLS", () => {
    const wrongVersion = Object.assign(new Error("ssl3_get_record:wrong version number"), { code: "ESOCKET", reason: "wrong version number", command: "CONN" });
    const failure = classifySmtp(wrongVersion, new AbortController().signal, "mail", 587);
    expect(failure).toMatchObject({ retryable: false });
    expect(failure.reason).toContain("port 587 speaks plain text then STARTTLS: set smtp.secure: false");
  });

  it("secure: false against an implicit-TLS port fails after the greeting wait, not retried, saying to set secure: true", async () => {
    const cert = await selfSignedCert(2);
    const server = await serve({ secure: true, key: cert.key, cert: cert.cert, disabledCommands: ["AUTH"] });
    const channel = mailChannel(server.port, { password: true });
    const notifier = emailNotifier(channel, { timeoutMs: 500 });
    stops.push(async () => notifier.close?.());
    const monitor = testMonitor("api", { channels: ["mail"] });
    const result = await notifier.send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [monitor], channels: [channel] }), monitor }, {
      signal: AbortSignal.timeout(500),
      secret: (n) => (n === "SMTP_PASSWORD" ? PASSWORD : undefined),
      previousRef: null,
      now: Date.now(),
    });
    expect(server.mails).toEqual([]);
    expect(result).toMatchObject({ ok: false, failure: { retryable: false } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toBe(
      `email channel "mail": the SMTP server on port ${server.port} expects TLS from the first byte (implicit TLS) and sent no greeting on a plain connection, so nothing was sent; set smtp.secure: true`,
    );
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it("a server that takes a plain connection and never greets, and speaks no TLS either, stays retryable", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    stops.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as AddressInfo).port;
    const channel = mailChannel(port);
    const notifier = emailNotifier(channel, { timeoutMs: 300 });
    stops.push(async () => notifier.close?.());
    const monitor = testMonitor("api", { channels: ["mail"] });
    const result = await notifier.send(intentFor("api", "trigger"), { manifest: testManifest({ monitors: [monitor], channels: [channel] }), monitor }, {
      signal: AbortSignal.timeout(300),
      secret: () => undefined,
      previousRef: null,
      now: Date.now(),
    });
    expect(result).toMatchObject({ ok: false, failure: { retryable: true } });
    if (result.ok) throw new Error("sent");
    expect(result.failure.reason).toMatch(/accepted the connection but sent no greeting \(if this port expects TLS from the first byte \(as 465 does\), set smtp.secure: true\)/);
  });
});

/** The header section, unfolded, one header per entry. */
function headersOf(raw: string): string[] {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
  return head.replace(/\r\n[ \t]/g, " ").split("\r\n");
}

/** The decoded text/plain part of a nodemailer message. */
function plainPart(raw: string): string {
  const start = raw.indexOf("Content-Type: text/plain");
  const part = raw.slice(start, raw.indexOf("\r\n--", start));
  const [head, ...body] = part.split("\r\n\r\n");
  const text = body.join("\r\n\r\n");
  if (/Content-Transfer-Encoding: base64/i.test(head!)) return Buffer.from(text.replace(/\s+/g, ""), "base64").toString("utf8").replace(/\r\n/g, "\n");
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head!)) {
    const bytes = text.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8").replace(/\r\n/g, "\n");
  }
  return text.replace(/\r\n/g, "\n");
}

describe("what alert text can do to the message", () => {
  it("CR/LF in a summary, a monitor name, labels or an acknowledger adds no header and no recipient", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const channel = mailChannel(server.port);
    const evil = "x\r\nBcc: thief@evil.example\r\nX-Injected: 1\r\n\r\nbody";
    const intent = intentFor("api", "acknowledge", { summary: `down ${evil}`, acknowledgedBy: `Mallory${evil}`, labels: { job: evil, [`k${evil}`]: "v" } });
    expect(await sendWith(notifierFor(channel), channel, intent, `Name ${evil}`)).toMatchObject({ ok: true });
    const [mail] = server.mails;
    expect(mail!.to).toEqual(["oncall@example.com"]);
    const names = headersOf(mail!.raw).map((h) => h.slice(0, h.indexOf(":")).toLowerCase());
    expect(names).not.toContain("bcc");
    expect(names).not.toContain("x-injected");
    expect(names.filter((n) => n === "subject")).toHaveLength(1);
  });

  it("a dot alone on a line and very long lines arrive intact, every line within 998 octets", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const long = "x".repeat(5_000);
    const diagnostics = `before\n.\n..\n.\r\nafter\n${long}`;
    const intent = intentFor("api", "trigger", { summary: ".", details: { diagnostics } });
    expect(await send(server.port, {}, intent)).toMatchObject({ ok: true });
    const raw = server.mails[0]!.raw;
    for (const line of raw.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(998);
    const text = plainPart(raw);
    expect(text).toContain("before\n.\n..\n.");
    expect(text).toContain(long);
  });

  it("a lone CR in alert text (a progress line in script output) goes out as a line break, so a server that refuses bare CR takes the email", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const intent = intentFor("api", "trigger", { summary: "upload\rstalled", labels: { step: "a\rb" }, details: { diagnostics: "10%\r55%\r\r\nfailed at 55%\r" } });
    expect(await send(server.port, {}, intent)).toMatchObject({ ok: true });
    const raw = server.mails[0]!.raw;
    expect(hasBareLineBreak(raw)).toBe(false);
    const text = plainPart(raw);
    expect(text).toContain("10%\n55%\n");
    expect(text).toContain("failed at 55%");
  });

  it("control characters in a summary never reach the Subject header raw", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const intent = intentFor("api", "trigger", { summary: "disk\u0000full \u001b[31mred\u001b[0m \u007f\u0008done" });
    expect(await send(server.port, {}, intent)).toMatchObject({ ok: true });
    const subject = headersOf(server.mails[0]!.raw).find((h) => h.startsWith("Subject:"))!;
    expect(subject).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f]/);
    expect(subject).toContain("disk");
    expect(subject).toContain("done");
  });

  it("directional overrides in a summary, a monitor name or an acknowledger reorder neither the subject nor the text part, as they do not the HTML", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const channel = mailChannel(server.port);
    // "kcabdeef" after an RLO reads as "feedback"; the name's override would flip the summary after it.
    const intent = intentFor("api", "acknowledge", { summary: "Checkout \u202Ekcabdeef\u202C down", acknowledgedBy: "Mallory \u2067\u202E", labels: { job: "\u202Ddb\u2069" } });
    expect(await sendWith(notifierFor(channel), channel, intent, "Name \u202A\u2066x")).toMatchObject({ ok: true });
    const raw = server.mails[0]!.raw;
    const subject = headersOf(raw).find((h) => h.startsWith("Subject:"))!;
    const decoded = subject.replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_m, q: string) => Buffer.from(q.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_h, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"));
    expect(decoded).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(decoded).toContain("Checkout kcabdeef down");
    expect(plainPart(raw)).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(plainPart(raw)).toContain("Checkout kcabdeef down");
  });

  it("non-ASCII recipients, sender names and subjects go out with SMTPUTF8 and arrive as written", async () => {
    const server = await serve({ disabledCommands: ["STARTTLS", "AUTH"] });
    const intent = intentFor("api", "trigger", { summary: "Überlast in Zürich ✅" });
    const result = await send(server.port, { to: ["josé@exämple.com"], from: "Wächter <wächter@example.com>" }, intent);
    expect(result).toMatchObject({ ok: true });
    expect(server.mails[0]!.to).toEqual(["josé@exämple.com"]);
    const subject = headersOf(server.mails[0]!.raw).find((h) => h.startsWith("Subject:"))!;
    expect(/^[\x20-\x7e]*$/.test(subject) || /SMTPUTF8/.test(subject)).toBe(true);
  });
});

describe("SMTP: every recipient refused, some for now and some for good", () => {
  it("the retry goes to the deferred recipients only, and the one refused for good is named once, not asked again", async () => {
    let greylisted = true;
    const asked: string[] = [];
    const server = await serve({
      disabledCommands: ["STARTTLS", "AUTH"],
      onRcptTo: (address, _s, cb) => {
        asked.push(address.address);
        if (address.address.startsWith("gone")) return cb(refuse(550, "5.1.1 User unknown"));
        return cb(address.address.startsWith("grey") && greylisted ? refuse(451, "4.7.1 Greylisted, please try again later") : undefined);
      },
    });
    const channel = mailChannel(server.port, { to: ["gone@example.com", "grey@example.org"] });
    const notifier = notifierFor(channel);
    const intent = intentFor("api", "trigger");
    const first = await sendWith(notifier, channel, intent);
    expect(first).toMatchObject({ ok: false, failure: { retryable: true } });
    if (first.ok) throw new Error("sent");
    expect(first.failure.reason).toContain("gone@example.com");
    expect(first.failure.reason).toContain("5.1.1 User unknown");
    expect(first.failure.owedTo).toEqual(["grey@example.org"]);
    greylisted = false;
    asked.length = 0;
    expect(await sendWith(notifier, channel, intent, undefined, owedAfter(first))).toMatchObject({ ok: true });
    expect(asked).toEqual(["grey@example.org"]);
    expect(server.mails.map((m) => m.to)).toEqual([["grey@example.org"]]);
  });
});
