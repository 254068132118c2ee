import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import { truncate } from "../text/truncate.js";

/** PagerDuty Events v2 caps `summary` at 1024 characters; every channel gets the same cap. */
export const SUMMARY_MAX = 1024;

/**
 * The one line a person reads in a page. The monitor's summary function wins; otherwise its
 * template with `{{name}} {{id}} {{severity}} {{value}} {{message}} {{labels.x}}` filled in.
 */
export function renderSummary(monitor: MonitorSpec, result: CheckResult, code: MonitorCode | undefined): string {
  let text: string;
  if (monitor.code.summary && code?.summary) {
    try {
      text = String(code.summary(result, { monitorId: monitor.id, name: monitor.name, severity: monitor.severity }));
    } catch (error) {
      // A broken summary function must not lose the page: fall back to the template and say why.
      text = `${fillTemplate(monitor, result)} (summary function failed: ${errorText(error)})`;
    }
  } else {
    text = fillTemplate(monitor, result);
  }
  // The result is already free of secrets (checks redact before they answer), so a plain cut is safe.
  return truncate(text.replace(/\s+/g, " ").trim() || `${monitor.name}: ${result.message}`, SUMMARY_MAX);
}

function fillTemplate(monitor: MonitorSpec, result: CheckResult): string {
  const template = monitor.summary || "{{name}}: {{message}}";
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_all, key: string) => {
    if (key.startsWith("labels.")) return result.labels[key.slice(7)] ?? monitor.labels[key.slice(7)] ?? "";
    switch (key) {
      case "name":
        return monitor.name;
      case "id":
        return monitor.id;
      case "severity":
        return monitor.severity;
      case "value":
        return result.value === null ? "n/a" : String(result.value);
      case "message":
        return result.message;
      default:
        return `{{${key}}}`;
    }
  });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
