import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import { CheckError } from "../check-error.js";
import { abortReason } from "../shared/deadline.js";

export type RecordType = "A" | "AAAA" | "CNAME" | "MX" | "NS" | "TXT" | "SRV" | "SOA" | "CAA" | "PTR";

/** One answer as people write it (`10 mail.example.com` for MX) plus the shorter forms an expectation may use. */
export interface DnsAnswer {
  text: string;
  matches: string[];
  /** Compared with its case kept: a TXT value (a verification token, a DKIM key) is case-sensitive. */
  caseSensitive?: boolean;
}

/** What a DNS server said: records, or a definite "no" (NXDOMAIN, no data, server failure). */
export type DnsReply = { kind: "answers"; answers: DnsAnswer[] } | { kind: "negative"; code: string; meaning: string };

const NEGATIVE: Record<string, string> = {
  ENOTFOUND: "no such name (NXDOMAIN)",
  ENODATA: "no records of this type",
  ESERVFAIL: "server failure (SERVFAIL)",
  ENONAME: "no such name",
};

/** How a DNS check asks a server; `queryDns` is the real one. */
export type DnsQuery = (server: string | null, name: string, type: RecordType, timeoutMs: number, signal: AbortSignal) => Promise<DnsReply>;

/**
 * Asks one resolver (a `host`, `host:port` or `[v6]:port`; null = the system's) for one record
 * type. Negative answers are returned; no answer at all (timeout, refused) throws a classified error.
 */
export async function queryDns(server: string | null, name: string, type: RecordType, timeoutMs: number, signal: AbortSignal): Promise<DnsReply> {
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(timeoutMs)), tries: 1 });
  const label = server ?? "the system resolver";
  if (server !== null) resolver.setServers([await serverAddress(server)]);
  if (signal.aborted) throw abortReason(signal);
  const onAbort = (): void => resolver.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  // c-ares takes `timeout` as a first guess and adapts it per server (c-ares 1.26+): a silent
  // server went unanswered past the check's own timeout, and the error then named neither the
  // server nor the question. The query's own budget is kept here.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    resolver.cancel();
  }, timeoutMs);
  try {
    const answers = await ask(resolver, name, type);
    // An answer without a record of the type asked (a CNAME chain that ends nowhere, or loops) is
    // "no data", as dig shows it: not a pass for a check that expects nothing in particular.
    return answers.length === 0 ? replyForError("ENODATA", label, name, type) : { kind: "answers", answers };
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    return replyForError(timedOut ? "ETIMEOUT" : ((error as NodeJS.ErrnoException).code ?? "EUNKNOWN"), label, name, type);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * What a resolver's error code means: a definite "no" (returned) or no answer at all (thrown,
 * classified). `label` names the server as messages show it.
 */
export function replyForError(code: string, label: string, name: string, type: RecordType): DnsReply {
  const meaning = NEGATIVE[code];
  if (meaning) return { kind: "negative", code, meaning };
  if (code === "ETIMEOUT") throw new CheckError("timeout", `DNS server ${label} did not answer ${type} ${name} before the check timed out`);
  if (code === "ECONNREFUSED" || code === "EREFUSED") throw new CheckError("unreachable", `DNS server ${label} refused the ${type} ${name} query (${code})`);
  throw new CheckError("unreachable", `DNS query ${type} ${name} to ${label} failed (${code})`);
}

/**
 * One answer from its text as people write it (`10 mail.example.com` for MX), with the shorter
 * forms an expectation may use, as `ask` builds them from a resolver's records.
 */
export function answerFromText(type: RecordType, text: string): DnsAnswer {
  const parts = text.trim().split(/\s+/);
  switch (type) {
    case "MX":
      return { text, matches: parts.length >= 2 ? [parts[1]!] : [] };
    case "SRV":
      return { text, matches: parts.length >= 4 ? [parts[3]!, `${parts[3]!}:${parts[2]!}`] : [] };
    case "SOA":
      return { text, matches: parts.length >= 1 ? [parts[0]!] : [] };
    case "TXT":
      return { text, matches: [], caseSensitive: true };
    case "CAA": {
      const m = /^\S+\s+(\S+)\s+"?(.*?)"?$/.exec(text.trim());
      return { text, matches: m ? [m[2]!, `${m[1]!} ${m[2]!}`] : [] };
    }
    default:
      return plain(text);
  }
}

/** `host[:port]` to the `ip[:port]` form setServers wants; a host name is looked up first. */
export async function serverAddress(server: string): Promise<string> {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  let host = server;
  let port: string | undefined;
  if (v6) {
    host = v6[1]!;
    port = v6[2];
  } else if (isIP(server) !== 6) {
    const parts = server.split(":");
    host = parts[0]!;
    port = parts[1];
  }
  if (!isIP(host)) {
    try {
      host = (await lookup(host)).address;
    } catch {
      throw new CheckError("config", `DNS server name ${host} does not resolve`);
    }
  }
  const bracketed = isIP(host) === 6 ? `[${host}]` : host;
  return port ? `${bracketed}:${port}` : host;
}

async function ask(resolver: Resolver, name: string, type: RecordType): Promise<DnsAnswer[]> {
  switch (type) {
    case "A":
      return (await resolver.resolve4(name)).map(plain);
    case "AAAA":
      return (await resolver.resolve6(name)).map(plain);
    case "CNAME":
      return (await resolver.resolveCname(name)).map(plain);
    case "NS":
      return (await resolver.resolveNs(name)).map(plain);
    case "PTR":
      return (await resolver.resolvePtr(name)).map(plain);
    case "TXT":
      return (await resolver.resolveTxt(name)).map((chunks) => ({ text: chunks.join(""), matches: [], caseSensitive: true }));
    case "MX":
      return (await resolver.resolveMx(name)).map((mx) => ({ text: `${mx.priority} ${mx.exchange}`, matches: [mx.exchange] }));
    case "SRV":
      return (await resolver.resolveSrv(name)).map((s) => ({ text: `${s.priority} ${s.weight} ${s.port} ${s.name}`, matches: [s.name, `${s.name}:${s.port}`] }));
    case "SOA": {
      const s = await resolver.resolveSoa(name);
      return [{ text: `${s.nsname} ${s.hostmaster} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minttl}`, matches: [s.nsname] }];
    }
    case "CAA":
      return (await resolver.resolveCaa(name)).map((c) => {
        const [tag, value] = Object.entries(c).find(([k]) => k !== "critical") ?? ["unknown", ""];
        return { text: `${c.critical} ${tag} "${String(value)}"`, matches: [String(value), `${tag} ${String(value)}`] };
      });
    default: {
      const never: never = type;
      throw new CheckError("config", `unsupported record type ${String(never)}`);
    }
  }
}

function plain(text: string): DnsAnswer {
  return { text, matches: [] };
}

/**
 * Case, trailing dots and spacing do not make two DNS names different, nor the spelling of an IPv6
 * address (`fd00::5` is `FD00:0:0:0:0:0:0:5`). Text (`caseSensitive`, TXT) keeps its case and dots.
 */
export function sameValue(a: string, b: string, caseSensitive = false): boolean {
  if (caseSensitive) return a.trim().replace(/\s+/g, " ") === b.trim().replace(/\s+/g, " ");
  if (isIP(a.trim()) === 6 && isIP(b.trim()) === 6) return canonicalV6(a.trim()) === canonicalV6(b.trim());
  const norm = (s: string): string => s.trim().toLowerCase().replace(/\.$/, "").replace(/\s+/g, " ").replace(/\.(\s)/g, "$1");
  return norm(a) === norm(b);
}

/** An IPv6 address as the URL standard writes it (lower case, zeros compressed). */
function canonicalV6(address: string): string {
  // A zone id (`fe80::1%eth0`) is no URL host: such an address is compared as written.
  return URL.canParse(`http://[${address}]/`) ? new URL(`http://[${address}]/`).hostname : address.toLowerCase();
}

export function answerMatches(answer: DnsAnswer, expected: string): boolean {
  const exact = answer.caseSensitive === true;
  return sameValue(answer.text, expected, exact) || answer.matches.some((m) => sameValue(m, expected, exact));
}
