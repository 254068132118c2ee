import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * A runbook that is not an absolute http(s) URL cannot be a link: PagerDuty refuses an event whose
 * `links[].href` is not a URL, so the runtime sends such a runbook as text instead. The author
 * most likely meant a link, so say so before merge.
 */
export function runbookUrl(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.monitors.flatMap((m) =>
    m.runbook === null || isWebUrl(m.runbook)
      ? []
      : [
          diagnostic(
            "warning",
            "runbook-url",
            `monitor "${m.id}": runbook ${JSON.stringify(m.runbook.length > 80 ? m.runbook.slice(0, 77) + "..." : m.runbook)} is not an absolute http(s) URL; notifications carry it as text, not as a link`,
            'give the runbook\'s full address, such as "https://wiki.example.com/runbooks/payments-api"',
            ctx.locate(m),
          ),
        ],
  );
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
