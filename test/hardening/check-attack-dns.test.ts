import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpecOf, MonitorSpec } from "../../sdk/manifest/schema.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";
import { startDnsmasq, type DnsServer } from "../support/dnsmasq.js";
import { freeUdpTcpPort } from "../support/free-port.js";

// DNS servers that are broken or hostile. dnsmasq refuses to serve a CNAME loop or a truncated
// answer, so a small server here writes those packets by hand (RFC 1035 section 4.1).

interface Question {
  id: number;
  /** The question section as it came, echoed in the answer. */
  question: Buffer;
  name: string;
}

function parseQuery(packet: Buffer): Question {
  let offset = 12;
  const labels: string[] = [];
  while (packet[offset]! > 0) {
    labels.push(packet.subarray(offset + 1, offset + 1 + packet[offset]!).toString("latin1"));
    offset += packet[offset]! + 1;
  }
  offset += 5; // the root label, QTYPE and QCLASS
  return { id: packet.readUInt16BE(0), question: packet.subarray(12, offset), name: labels.join(".") };
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
}

/** One resource record owned by the question's name (a pointer to offset 12). */
function record(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function answer(q: Question, options: { rcode?: number; truncated?: boolean; records?: Buffer[] }): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  // QR, RD, RA; TC when truncated; the response code in the low nibble.
  head.writeUInt16BE(0x8180 | (options.truncated ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(options.records?.length ?? 0, 6);
  return Buffer.concat([head, q.question, ...(options.records ?? [])]);
}

const A = 1;
const CNAME = 5;
const ipv4 = (i: number) => Buffer.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);

/** What the hand-written server answers, by the first label of the name asked. */
function reply(q: Question, overTcp: boolean): Buffer | null {
  switch (q.name.split(".")[0]) {
    case "servfail":
      return answer(q, { rcode: 2 });
    case "loop":
      // loop.x.test is a CNAME for itself.
      return answer(q, { records: [record(CNAME, encodeName(q.name))] });
    case "big":
      // Over UDP: "truncated, ask again over TCP" (TC bit); over TCP: 2,000 addresses (32 KB).
      return overTcp ? answer(q, { records: Array.from({ length: 2000 }, (_, i) => record(A, ipv4(i))) }) : answer(q, { truncated: true });
    case "silent":
      return null;
    default:
      return answer(q, { rcode: 3 });
  }
}

let udp: UdpSocket;
let tcp: TcpServer;
let handMade: string;
let dnsmasq: DnsServer;

beforeAll(async () => {
  const port = await freeUdpTcpPort();
  udp = createSocket("udp4");
  udp.on("message", (packet, from) => {
    const out = reply(parseQuery(packet), false);
    if (out) udp.send(out, from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind(port, "127.0.0.1", r));
  tcp = createTcpServer((socket) => {
    socket.on("error", () => undefined);
    socket.once("data", (data) => {
      const out = reply(parseQuery(data.subarray(2)), true);
      if (!out) return;
      const length = Buffer.alloc(2);
      length.writeUInt16BE(out.length);
      socket.end(Buffer.concat([length, out]));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, "127.0.0.1", r));
  handMade = `127.0.0.1:${port}`;
  dnsmasq = await startDnsmasq(["--local=/x.test/", "--host-record=xn--bcher-kva.x.test,127.0.0.7"]);
}, 30_000);

afterAll(async () => {
  udp?.close();
  await new Promise((r) => tcp?.close(r));
  await dnsmasq?.stop();
});

function monitor(name: string, resolver: string, overrides: Partial<CheckSpecOf<"dns">> = {}): MonitorSpec {
  return { id: "dns-attack", check: { kind: "dns", name, recordType: "A", resolver, expectValues: [], nameservers: [], timeout: "2s", ...overrides } } as unknown as MonitorSpec;
}

describe("DNS answers", () => {
  it("a resolver that never answers is a timeout error naming the server and the question, before the check's own timeout", async () => {
    const started = performance.now();
    const out = await runCheck(monitor("silent.x.test", handMade), checkContext());
    expect(performance.now() - started).toBeLessThan(2100);
    expect(out).toMatchObject({ kind: "error", reason: "timeout", error: `DNS server ${handMade} did not answer A silent.x.test before the check timed out` });
  });

  it("SERVFAIL is a failed check that says server failure", async () => {
    const out = await runCheck(monitor("servfail.x.test", handMade), checkContext());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false, message: "A servfail.x.test: server failure (SERVFAIL)" }] });
  });

  it("NXDOMAIN is a failed check that says no such name", async () => {
    const out = await runCheck(monitor("nothing.x.test", handMade), checkContext());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false, message: "A nothing.x.test: no such name (NXDOMAIN)" }] });
  });

  it("a CNAME that points at itself (no address at the end of the chain) is a failed check, not a pass", async () => {
    const out = await runCheck(monitor("loop.x.test", handMade), checkContext());
    expect(out.kind).toBe("results");
    expect(out).toMatchObject({ kind: "results", results: [{ ok: false, message: "A loop.x.test: no records of this type" }] });
  });

  it("a truncated UDP answer is asked again over TCP, and 2,000 addresses are read", async () => {
    const out = await runCheck(monitor("big.x.test", handMade, { expectValues: ["10.0.7.207"] }), checkContext());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
    if (out.kind === "results") expect(out.results[0]!.details.answers).toHaveLength(2000);
  });

  it("an internationalised name is asked in its ASCII (punycode) form and shown as written", async () => {
    const out = await runCheck(monitor("bücher.x.test", dnsmasq.address, { expectValues: ["127.0.0.7"] }), checkContext());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, message: "A bücher.x.test: 127.0.0.7" }] });
  });
});
