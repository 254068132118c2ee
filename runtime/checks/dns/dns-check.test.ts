import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { checkContext } from "../../../test/support/check-context.js";
import { startDnsmasq, type DnsServer } from "../../../test/support/dnsmasq.js";
import { freeUdpTcpPort } from "../../../test/support/free-port.js";
import { CheckError } from "../check-error.js";
import { runDnsCheck } from "./dns-check.js";

const ZONE = [
  "--local=/x.test/",
  "--host-record=x.test,127.0.0.5,fd00::5",
  "--host-record=web.x.test,127.0.0.6",
  "--cname=www.x.test,web.x.test",
  "--txt-record=x.test,v=spf1 -all",
  "--txt-record=sel._domainkey.x.test,v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3",
  "--mx-host=x.test,mail.x.test,10",
  "--srv-host=_https._tcp.x.test,web.x.test,443,0,5",
  "--caa-record=x.test,0,issue,letsencrypt.org",
  "--ptr-record=5.0.0.127.in-addr.arpa,x.test",
];

let primary: DnsServer;
let secondary: DnsServer;
let stale: DnsServer;
let silent: Socket;
let silentAddress: string;

beforeAll(async () => {
  [primary, secondary, stale] = await Promise.all([
    startDnsmasq(ZONE),
    startDnsmasq(ZONE),
    startDnsmasq(["--local=/x.test/", "--host-record=x.test,127.0.0.99"]),
  ]);
  // A DNS server that takes queries and never answers (overloaded, or packets dropped).
  silent = createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
  silentAddress = `127.0.0.1:${silent.address().port}`;
}, 30_000);

afterAll(async () => {
  await Promise.all([primary?.stop(), secondary?.stop(), stale?.stop()]);
  silent?.close();
});

function spec(overrides: Partial<CheckSpecOf<"dns">>): CheckSpecOf<"dns"> {
  return { kind: "dns", name: "x.test", recordType: "A", resolver: primary.address, expectValues: [], nameservers: [], timeout: "1s", ...overrides };
}

describe("dns check (real dnsmasq)", () => {
  it("passes when every expected value is in the answer, with lookup time as value", async () => {
    const [result] = await runDnsCheck(spec({ expectValues: ["127.0.0.5"] }), checkContext());
    expect(result!.ok).toBe(true);
    expect(result!.details.answers).toEqual(["127.0.0.5"]);
    expect(result!.value).toBeGreaterThanOrEqual(0);
    expect(result!.message).toBe("A x.test: 127.0.0.5");
  });

  it("fails naming the missing value and what came back", async () => {
    const [result] = await runDnsCheck(spec({ expectValues: ["127.0.0.5", "10.1.1.1"] }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe("A x.test is missing 10.1.1.1 (got 127.0.0.5)");
  });

  it.each([
    ["AAAA", "x.test", ["fd00::5"]],
    ["CNAME", "www.x.test", ["web.x.test"]],
    ["TXT", "x.test", ["v=spf1 -all"]],
    ["MX", "x.test", ["10 mail.x.test", "mail.x.test."]],
    ["SRV", "_https._tcp.x.test", ["0 5 443 web.x.test", "web.x.test:443"]],
    ["CAA", "x.test", ['0 issue "letsencrypt.org"', "letsencrypt.org"]],
    ["PTR", "5.0.0.127.in-addr.arpa", ["x.test"]],
  ] as const)("checks %s records", async (recordType, name, expectValues) => {
    const [result] = await runDnsCheck(spec({ recordType, name, expectValues: [...expectValues] }), checkContext());
    expect(result!.message).not.toContain("missing");
    expect(result!.ok).toBe(true);
  });

  it("compares TXT values as they are: a token or key that differs only in case is missing", async () => {
    const [same] = await runDnsCheck(spec({ recordType: "TXT", name: "sel._domainkey.x.test", expectValues: ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3"] }), checkContext());
    expect(same!.ok).toBe(true);
    const [other] = await runDnsCheck(spec({ recordType: "TXT", name: "sel._domainkey.x.test", expectValues: ["v=DKIM1; k=rsa; p=migfma0gcsqgsib3"] }), checkContext());
    expect(other!.ok).toBe(false);
    expect(other!.message).toContain("is missing v=DKIM1; k=rsa; p=migfma0gcsqgsib3");
  });

  it("matches an IPv6 address however it is written", async () => {
    const [result] = await runDnsCheck(spec({ recordType: "AAAA", expectValues: ["FD00:0:0:0:0:0:0:5"] }), checkContext());
    expect(result!.message).not.toContain("missing");
    expect(result!.ok).toBe(true);
  });

  it("a name that does not exist is a failed check, not an error", async () => {
    const [result] = await runDnsCheck(spec({ name: "nope.x.test" }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe("A nope.x.test: no such name (NXDOMAIN)");
  });

  it("reports which nameservers answer and names the one that went down", async () => {
    const doomed = await startDnsmasq(ZONE);
    try {
      const [all] = await runDnsCheck(spec({ nameservers: [primary.address, doomed.address], expectValues: ["127.0.0.5"] }), checkContext());
      expect(all!.ok).toBe(true);
      expect(all!.details.answeringNameservers).toEqual([primary.address, doomed.address]);
      expect(all!.message).toBe(`A x.test: 127.0.0.5; nameservers answering: ${primary.address}, ${doomed.address}`);
    } finally {
      await doomed.stop();
    }
    const [oneDown] = await runDnsCheck(spec({ nameservers: [primary.address, doomed.address] }), checkContext());
    expect(oneDown!.ok).toBe(false);
    expect(oneDown!.message).toBe(`nameserver ${doomed.address} did not answer (unreachable)`);
    expect(oneDown!.details.answeringNameservers).toEqual([primary.address]);
    expect(oneDown!.details.silentNameservers).toEqual([doomed.address]);
  });

  it("a nameserver that stays silent is named as timing out", async () => {
    const [result] = await runDnsCheck(spec({ nameservers: [secondary.address, silentAddress], timeout: "300ms" }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe(`nameserver ${silentAddress} did not answer (timeout)`);
  });

  it("a nameserver serving a stale zone is named with what it lacks", async () => {
    const [result] = await runDnsCheck(spec({ nameservers: [primary.address, stale.address], expectValues: ["127.0.0.5"] }), checkContext());
    expect(result!.ok).toBe(false);
    expect(result!.message).toBe(`nameserver ${stale.address} answered without 127.0.0.5`);
  });

  it("a resolver that does not answer is a timeout error", async () => {
    const started = Date.now();
    const error = (await runDnsCheck(spec({ resolver: silentAddress, timeout: "300ms" }), checkContext()).catch((e: unknown) => e)) as CheckError;
    expect(error).toBeInstanceOf(CheckError);
    expect(error.reason).toBe("timeout");
    expect(error.message).toContain(silentAddress);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a resolver whose port is closed is an unreachable error", async () => {
    const closed = `127.0.0.1:${await freeUdpTcpPort()}`;
    await expect(runDnsCheck(spec({ resolver: closed }), checkContext())).rejects.toMatchObject({ reason: "unreachable" });
  });
});
