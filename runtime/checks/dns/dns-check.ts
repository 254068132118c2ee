import { performance } from "node:perf_hooks";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { CheckResult } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";
import { CheckError } from "../check-error.js";
import type { CheckContext } from "../types.js";
import { deadline } from "../shared/deadline.js";
import { answerMatches, queryDns, type DnsQuery, type DnsReply } from "./records.js";

interface NameserverReport {
  nameserver: string;
  answered: boolean;
  answers: string[];
  problem: string | null;
}

/**
 * DNS check: resolves `name` through `resolver` and requires every expected value in the answer;
 * with `nameservers`, asks each of them directly and names every one that does not answer (or
 * answers without the expected values). value = the main lookup's time in ms. A resolver that does
 * not answer at all (timeout, refused) throws; a negative answer (NXDOMAIN, no data) is `ok: false`.
 */
export async function runDnsCheck(spec: CheckSpecOf<"dns">, ctx: CheckContext): Promise<CheckResult[]> {
  const timeoutMs = durationMs(spec.timeout);
  const question = `${spec.recordType} ${spec.name}`;
  const limit = deadline(ctx.signal, timeoutMs, `DNS ${question} via ${spec.resolver ?? "the system resolver"}`);
  // Queries get slightly less than the whole budget so a silent server is named by its own timeout.
  const queryMs = Math.max(1, Math.floor(timeoutMs * 0.9));
  const query = ctx.dnsQuery ?? queryDns;
  const stopwatch = ctx.stopwatch ?? (() => performance.now());
  try {
    const started = stopwatch();
    const [reply, nameservers] = await Promise.all([
      query(spec.resolver, spec.name, spec.recordType, queryMs, limit.signal),
      Promise.all(spec.nameservers.map((ns) => askNameserver(query, ns, spec, queryMs, limit.signal))),
    ]);
    const elapsed = Math.round((stopwatch() - started) * 10) / 10;
    const problems: string[] = [];
    const answers = reply.kind === "answers" ? reply.answers.map((a) => a.text) : [];
    if (reply.kind === "negative") problems.push(`${question}: ${reply.meaning}`);
    else {
      const missing = missingValues(reply, spec.expectValues);
      if (missing.length > 0) problems.push(`${question} is missing ${missing.join(", ")} (got ${answers.join(", ") || "nothing"})`);
    }
    const silent = nameservers.filter((n) => !n.answered);
    for (const ns of silent) problems.push(`nameserver ${ns.nameserver} ${ns.problem}`);
    const okMessage = `${question}: ${answers.join(", ")}${
      nameservers.length > 0 ? `; nameservers answering: ${nameservers.map((n) => n.nameserver).join(", ")}` : ""
    }`;
    return [
      {
        ok: problems.length === 0,
        value: elapsed,
        message: problems.length === 0 ? okMessage : problems.join("; "),
        labels: {},
        details: {
          name: spec.name,
          recordType: spec.recordType,
          resolver: spec.resolver ?? "system",
          answers,
          ...(reply.kind === "negative" ? { negative: reply.code } : {}),
          ...(nameservers.length > 0
            ? {
                nameservers: nameservers,
                answeringNameservers: nameservers.filter((n) => n.answered).map((n) => n.nameserver),
                silentNameservers: silent.map((n) => n.nameserver),
              }
            : {}),
        },
        durationMs: elapsed,
      },
    ];
  } finally {
    limit.dispose();
  }
}

function missingValues(reply: Extract<DnsReply, { kind: "answers" }>, expected: string[]): string[] {
  return expected.filter((value) => !reply.answers.some((a) => answerMatches(a, value)));
}

/** Asks one nameserver directly; never throws, because "this one did not answer" is the finding. */
async function askNameserver(query: DnsQuery, nameserver: string, spec: CheckSpecOf<"dns">, timeoutMs: number, signal: AbortSignal): Promise<NameserverReport> {
  try {
    const reply = await query(nameserver, spec.name, spec.recordType, timeoutMs, signal);
    if (reply.kind === "negative") return { nameserver, answered: false, answers: [], problem: `answered ${reply.meaning}` };
    const answers = reply.answers.map((a) => a.text);
    const missing = missingValues(reply, spec.expectValues);
    if (missing.length > 0) return { nameserver, answered: false, answers, problem: `answered without ${missing.join(", ")}` };
    return { nameserver, answered: true, answers, problem: null };
  } catch (error) {
    if (signal.aborted && error instanceof CheckError && error.reason === "aborted") throw error;
    const reason = error instanceof CheckError ? error.reason : "unreachable";
    return { nameserver, answered: false, answers: [], problem: reason === "timeout" ? "did not answer (timeout)" : `did not answer (${reason})` };
  }
}
