import { spawn, type ChildProcess } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { freeUdpTcpPort } from "./free-port.js";
import { GiveUp, stopProcess, waitUntil } from "./process.js";

/** A real dnsmasq serving fixed records on a loopback high port. */
export interface DnsServer {
  /** `127.0.0.1:PORT`, the form a check's `resolver` / `nameservers` take. */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** The dnsmasq binary: WK_DNSMASQ_BIN, or `dnsmasq` on PATH. */
export function dnsmasqBinary(): string {
  return process.env.WK_DNSMASQ_BIN ?? "dnsmasq";
}

/**
 * Starts dnsmasq with only the given record options (e.g. `--host-record=x.test,127.0.0.5`,
 * `--txt-record=x.test,hello`, `--local=/x.test/`), no upstream and no hosts file; resolves once it
 * answers. Always call stop().
 */
export async function startDnsmasq(records: string[]): Promise<DnsServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpTcpPort();
    const args = [
      "--no-daemon",
      "--conf-file=/dev/null",
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--pid-file=",
      "--log-facility=-",
      ...(process.getuid?.() === 0 ? ["--user=root"] : []),
      ...records,
    ];
    const child = spawn(dnsmasqBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
    let output = "";
    child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.once("error", (error) => (output += String(error)));
    try {
      await waitUntil(() => answers(child, port, () => output), "dnsmasq to answer", 10_000, 50);
      return { address: `127.0.0.1:${port}`, port, stop: () => stopProcess(child) };
    } catch (error) {
      lastError = error;
      await stopProcess(child);
    }
  }
  throw lastError;
}

async function answers(child: ChildProcess, port: number, output: () => string): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`dnsmasq exited: ${output()}`);
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    await resolver.resolveSoa("probe.invalid");
    return true;
  } catch (error) {
    // Any DNS answer (even REFUSED or NXDOMAIN) means it is listening; silence means not yet.
    const code = (error as NodeJS.ErrnoException).code;
    return code !== "ETIMEOUT" && code !== "ECONNREFUSED";
  }
}
