import type { DiagnosticSpec } from "../../sdk/manifest/schema.js";
import { CheckError } from "../checks/check-error.js";
import { queryDns, type RecordType } from "../checks/dns/records.js";
import { deadline } from "../checks/shared/deadline.js";
import type { DiagnosticContext, DiagnosticSection } from "./section.js";

const RECORD_TYPES = new Set<string>(["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "SOA", "CAA", "PTR"]);
/** DNS diagnostics have no timeout of their own in the manifest. */
export const DNS_DIAGNOSTIC_TIMEOUT_MS = 5_000;

/** Resolves a name and prints the answers (or why there are none). Never throws. */
export async function dnsDiagnostic(spec: Extract<DiagnosticSpec, { kind: "dns" }>, ctx: DiagnosticContext): Promise<DiagnosticSection> {
  const type = spec.recordType.toUpperCase();
  const via = spec.resolver ?? "system resolver";
  const title = `DNS ${type} ${spec.name} via ${via}`;
  if (!RECORD_TYPES.has(type)) return { kind: "dns", title, ok: false, lines: [`unsupported record type ${spec.recordType}`], data: { name: spec.name } };
  const limit = deadline(ctx.signal, DNS_DIAGNOSTIC_TIMEOUT_MS, title);
  try {
    const reply = await queryDns(spec.resolver, spec.name, type as RecordType, DNS_DIAGNOSTIC_TIMEOUT_MS, limit.signal);
    if (reply.kind === "negative") {
      return { kind: "dns", title, ok: false, lines: [reply.meaning], data: { name: spec.name, recordType: type, resolver: via, answers: [], negative: reply.code } };
    }
    const answers = reply.answers.map((a) => a.text);
    return { kind: "dns", title, ok: true, lines: answers.length > 0 ? answers : ["(empty answer)"], data: { name: spec.name, recordType: type, resolver: via, answers } };
  } catch (error) {
    const message = error instanceof CheckError ? error.message : String(error);
    return { kind: "dns", title, ok: false, lines: [`no answer: ${message}`], data: { name: spec.name, recordType: type, resolver: via, error: message } };
  } finally {
    limit.dispose();
  }
}
