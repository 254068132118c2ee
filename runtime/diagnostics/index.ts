import type { Dispatcher } from "undici";
import type { DiagnosticSpec } from "../../sdk/manifest/schema.js";
import { dnsDiagnostic } from "./dns-diagnostic.js";
import { hostLoad } from "./host-load.js";
import { httpSweep } from "./http-sweep.js";
import type { DiagnosticContext, DiagnosticSection } from "./section.js";

export type { DiagnosticContext, DiagnosticSection } from "./section.js";
export { parseLoadavg, parseMeminfo } from "./host-load.js";

export interface DiagnosticsReport {
  /** Plain text for PagerDuty custom_details and email bodies. */
  text: string;
  sections: DiagnosticSection[];
}

/**
 * Runs a monitor's diagnostics concurrently when its alert fires (or from the emergency page) and
 * renders them as plain text, in the order the monitor lists them. Never throws: a diagnostic
 * that fails says so in its own section.
 */
export async function runDiagnostics(
  specs: readonly DiagnosticSpec[],
  ctx: DiagnosticContext & { dispatcher?: Dispatcher },
): Promise<DiagnosticsReport> {
  const sections = await Promise.all(specs.map((spec) => runOne(spec, ctx)));
  return { text: render(sections, ctx.now), sections };
}

function runOne(spec: DiagnosticSpec, ctx: DiagnosticContext & { dispatcher?: Dispatcher }): Promise<DiagnosticSection> {
  switch (spec.kind) {
    case "dns":
      return dnsDiagnostic(spec, ctx);
    case "httpSweep":
      return httpSweep(spec, ctx);
    case "hostLoad":
      return hostLoad(spec);
    default: {
      const never: never = spec;
      throw new Error(`unknown diagnostic ${JSON.stringify(never)}`);
    }
  }
}

/** `== title ==` blocks with indented lines; a failing section is marked so it stands out in an email. */
export function render(sections: readonly DiagnosticSection[], now: Date): string {
  if (sections.length === 0) return "";
  const blocks = sections.map((s) => [`== ${s.title}${s.ok ? "" : " [problem]"} ==`, ...s.lines.map((l) => `  ${l}`)].join("\n"));
  return [`Diagnostics at ${now.toISOString()}`, ...blocks].join("\n\n") + "\n";
}
