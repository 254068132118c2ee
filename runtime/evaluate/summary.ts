import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import { CodeHostError } from "../code-host/code-host.js";
import { redact } from "../text/redact.js";
import { CUT_MARKER, truncate } from "../text/truncate.js";

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
  // Checks redact before they answer, and the runtime scrubs a summary function's text of every secret
  // (withScrubbedSummary) before this cut, so a plain cut is safe. Megabytes of message or label
  // values are cut before the whitespace is folded: folding all of them took half a second a label set.
  if (text.length > FOLD_MAX) text = text.slice(0, FOLD_MAX) + CUT_MARKER;
  const line = LOOSE_WHITESPACE.test(text) ? text.replace(/\s+/g, " ").trim() : text;
  return truncate(line || `${monitor.name}: ${result.message}`, SUMMARY_MAX);
}

/**
 * The monitor's code with its summary function's text, and what its summary and condition functions
 * throw, scrubbed of every secret value: the functions run in the runtime's process (or its code
 * worker) and could read a secret from the environment and page it, or throw it (a failed login
 * quoting its password) into the summary's "summary function failed: ..." or the check's error.
 */
export function withScrubbedSummary(code: MonitorCode | undefined, secretValues: () => string[]): MonitorCode | undefined {
  const summary = code?.summary;
  const condition = code?.condition;
  if (!code || (!summary && !condition)) return code;
  const scrubbed: MonitorCode = { ...code };
  if (summary) {
    scrubbed.summary = (result, context) => {
      const secrets = secretValues();
      let text: string;
      try {
        text = String(summary(result, context));
      } catch (error) {
        throw scrubbedError(error, secrets);
      }
      return secrets.length === 0 ? text : redact(text, secrets);
    };
  }
  if (condition) {
    scrubbed.condition = (result) => {
      try {
        return condition(result);
      } catch (error) {
        throw scrubbedError(error, secretValues());
      }
    };
  }
  return scrubbed;
}

/** What the code threw, as its text reads without any secret; the error itself when it holds none. */
function scrubbedError(error: unknown, secrets: string[]): unknown {
  if (secrets.length === 0) return error;
  const text = errorText(error);
  const clean = redact(text, secrets);
  if (clean === text) return error;
  return error instanceof CodeHostError ? new CodeHostError(clean) : new Error(clean);
}

/** The most of a filled-in summary whose whitespace is folded before the cut to SUMMARY_MAX. */
const FOLD_MAX = 16 * SUMMARY_MAX;

/** Whitespace that the one-line summary folds: anything but single inner spaces. */
const LOOSE_WHITESPACE = /[^\S ]|\s\s|^\s|\s$/;

/** A template split once into literal text and placeholder names (odd indexes), instead of a regex pass per tick. */
type CompiledTemplate = string[];
const compiledTemplates = new Map<string, CompiledTemplate>();
const COMPILED_MAX = 4096;

function compile(template: string): CompiledTemplate {
  let parts = compiledTemplates.get(template);
  if (!parts) {
    parts = template.split(/\{\{\s*([\w.-]+)\s*\}\}/);
    if (compiledTemplates.size >= COMPILED_MAX) compiledTemplates.clear();
    compiledTemplates.set(template, parts);
  }
  return parts;
}

function fillTemplate(monitor: MonitorSpec, result: CheckResult): string {
  const parts = compile(monitor.summary || "{{name}}: {{message}}");
  let text = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) text += placeholder(parts[i]!, monitor, result) + parts[i + 1]!;
  return text;
}

function placeholder(key: string, monitor: MonitorSpec, result: CheckResult): string {
  if (key.startsWith("labels.")) return labelValue(result.labels, key.slice(7)) ?? labelValue(monitor.labels, key.slice(7)) ?? "";
  switch (key) {
    case "name":
      return monitor.name;
    case "id":
      return monitor.id;
    case "severity":
      return monitor.severity;
    case "value":
      return result.value === null ? "n/a" : formatValue(result.value);
    case "message":
      return result.message;
    default:
      return `{{${key}}}`;
  }
}

/** A label's own value: `{{labels.constructor}}` on a result without that label is empty, not Object's source. */
function labelValue(labels: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** A value as Prometheus prints `$value`: `+Inf` and `-Inf` rather than JavaScript's `Infinity`. */
function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
