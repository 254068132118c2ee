import { ID_MAX, isMonitorLabelName, NAME_MAX } from "../../sdk/manifest/schema.js";
import { asTemplate, asTemplateLiteral, formatsUsed, needsFunction, translateTemplate, type ValueFormat } from "./go-template.js";
import { promDurationMs, type AlertingRule, type Located, type Position, type RuleGroup } from "./prometheus-rules.js";

/**
 * Prometheus rule groups mapped onto monitors, as plain drafts the module writer prints. Whatever
 * has no equivalent becomes a note: a `// wk import:` comment in the module and a warning on
 * stderr, so nothing is lost silently.
 */

export type ImportSeverity = "critical" | "error" | "warning" | "info";

/** Something the import could not carry over as it was; `at` is in the rules file. */
export interface ImportNote {
  at: Position;
  message: string;
}

export type SummaryDraft = { kind: "template"; text: string } | { kind: "function"; body: string; formats: ValueFormat[] };

export interface MonitorDraft {
  id: string;
  /** The exported constant's name. */
  variable: string;
  /** The alert's name as Prometheus knows it. */
  name: string;
  at: Position;
  every: string;
  query: string;
  for: string | null;
  keepFiringFor: string | null;
  severity: ImportSeverity | null;
  labels: Record<string, string>;
  summary: SummaryDraft | null;
  description: string | null;
  runbook: string | null;
  notes: ImportNote[];
}

export interface ModuleDraft {
  group: string;
  /** File name inside the output folder, e.g. `checkout.ts`. */
  file: string;
  at: Position;
  /** Notes about the group as a whole (interval, limit, query_offset, recording rules). */
  notes: ImportNote[];
  monitors: MonitorDraft[];
}

/** Prometheus's default `evaluation_interval`, used when a group sets no `interval`. */
export const DEFAULT_INTERVAL = "1m";

/** Names a module's own bindings use; an exported monitor must not take one. */
const RESERVED_BINDINGS = new Set(["check", "monitor", "prometheusServer", "humanize", "humanize1024", "humanizePercentage", "humanizeDuration"]);
const JS_RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await".split(" "),
);

/** Maps every group; ids are unique across the whole file, modules' file names too. */
export function draftModules(groups: readonly RuleGroup[], serviceBinding: string): ModuleDraft[] {
  const ids = new UniqueNames("kebab");
  const files = new UniqueNames("kebab");
  return groups.map((group) => {
    const notes: ImportNote[] = [];
    const every = group.interval ? ourDuration(group.interval.value) : DEFAULT_INTERVAL;
    if (!group.interval && group.rules.some((r) => r.kind === "alert")) notes.push({ at: group.at, message: `group "${group.name.value}" sets no interval: its monitors run every ${DEFAULT_INTERVAL}, Prometheus's default evaluation_interval` });
    if (group.limit && group.limit.value > 0) {
      notes.push(note(group.limit, `limit: ${group.limit.value} is not imported: a Watchkeeper monitor raises one alert per returned series, without a cap`));
    }
    if (group.queryOffset && promDurationMs(group.queryOffset.value) !== 0) {
      notes.push(note(group.queryOffset, `query_offset: ${group.queryOffset.value} is not imported: Watchkeeper queries at the tick's time (add \`offset ${group.queryOffset.value}\` to a query to look back)`));
    }
    const monitors: MonitorDraft[] = [];
    const variables = new UniqueNames("camel", [...RESERVED_BINDINGS, serviceBinding]);
    for (const rule of group.rules) {
      if (rule.kind === "record") {
        notes.push(note(rule.record, `recording rule ${rule.record.value} is not imported (Watchkeeper runs alerting checks; keep it in Prometheus): expr ${JSON.stringify(rule.expr.value)}`));
        continue;
      }
      const id = ids.take(kebab(rule.alert.value), severityOf(rule, group).severity ?? "");
      monitors.push(draftMonitor(rule, group, id, variables.take(camel(id), "monitor"), every));
    }
    return { group: group.name.value, file: `${files.take(kebab(group.name.value), "")}.ts`, at: group.at, notes, monitors };
  });
}

function draftMonitor(rule: AlertingRule, group: RuleGroup, id: string, variable: string, every: string): MonitorDraft {
  const notes: ImportNote[] = [];
  const labels: Record<string, string> = {};
  const merged = new Map([...group.labels, ...rule.labels]);
  const { severity, note: severityNote } = severityOf(rule, group);
  if (severityNote) notes.push(severityNote);
  for (const [name, value] of [...merged].sort(([a], [b]) => a.localeCompare(b))) {
    if (name === "severity") continue;
    if (value.value.includes("{{")) {
      notes.push(note(value, `label ${name}: ${JSON.stringify(value.value)} is not imported: Watchkeeper labels are fixed values, not templates`));
      continue;
    }
    if (isMonitorLabelName(name)) {
      labels[name] = value.value;
      continue;
    }
    const renamed = monitorLabelName(name);
    const why = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? `a monitor's label names cannot start with "__" (reserved, as in Prometheus)` : `a monitor's label names are letters, digits and _, not starting with a digit`;
    if (renamed === null || renamed === "severity" || merged.has(renamed) || Object.hasOwn(labels, renamed)) {
      const taken = renamed === null ? "" : `, and ${renamed} is taken by ${renamed === "severity" ? "the severity" : "another label of the rule"}`;
      notes.push(note(value, `alert ${rule.alert.value}: label ${name}: ${JSON.stringify(value.value)} is not imported: ${why}${taken}`));
      continue;
    }
    labels[renamed] = value.value;
    notes.push(note(value, `alert ${rule.alert.value}: label ${name} is imported as ${renamed}: ${why}; silences and summaries ({{labels.${renamed}}}) use the new name`));
  }
  const annotations = rule.annotations;
  const summarySource = annotations.get("summary") ?? annotations.get("message") ?? null;
  const summary = summarySource ? summaryDraft(summarySource, annotations.has("summary") ? "summary" : "message", notes) : null;
  const description = annotations.get("description") ? textDraft(annotations.get("description")!, "description", notes) : null;
  const runbook = annotations.get("runbook_url") ? textDraft(annotations.get("runbook_url")!, "runbook_url", notes) : null;
  if (runbook !== null && /\{\{/.test(runbook)) {
    notes.push(note(annotations.get("runbook_url")!, "runbook_url uses labels or the value: Watchkeeper sends the runbook as written, so its placeholders stay unfilled"));
  }
  for (const [name, value] of annotations) {
    if (name === "summary" || name === "description" || name === "runbook_url" || (name === "message" && !annotations.has("summary"))) continue;
    notes.push(note(value, `annotation ${name}: ${JSON.stringify(value.value)} is not imported: monitors carry a summary, a description and a runbook only`));
  }
  const name = monitorName(rule.alert.value);
  if (name.controls) notes.push(note(rule.alert, `name ${JSON.stringify(rule.alert.value)} holds control characters or bidirectional overrides, which a monitor's name cannot: imported with spaces in their place`));
  if (name.cut) notes.push(note(rule.alert, `name is longer than ${NAME_MAX} characters, a monitor's (and PagerDuty's) limit: imported cut to its first ${NAME_MAX}`));
  const forMs = rule.for ? promDurationMs(rule.for.value)! : 0;
  const keepMs = rule.keepFiringFor ? promDurationMs(rule.keepFiringFor.value)! : 0;
  return {
    id,
    variable,
    name: name.text,
    at: rule.at,
    every,
    query: rule.expr.value.trim(),
    for: forMs > 0 ? ourDuration(rule.for!.value) : null,
    keepFiringFor: keepMs > 0 ? ourDuration(rule.keepFiringFor!.value) : null,
    severity,
    labels,
    summary,
    description,
    runbook,
    notes,
  };
}

/**
 * A Prometheus label name as a monitor's, the way the compiler's hint writes it (`__shard` ->
 * `shard`, `k8s-cluster` -> `k8s_cluster`, `1st` -> `_1st`): renamed rather than dropped, so the label still reaches every alert and silences can
 * still match it. Null when nothing of the name is left.
 */
function monitorLabelName(name: string): string | null {
  const renamed = name
    .replace(/[^a-zA-Z0-9_]+/g, "_")
    .replace(/^_+/, "")
    .replace(/^(?=[0-9])/, "_");
  return isMonitorLabelName(renamed) ? renamed : null;
}

/** The characters a monitor's name refuses (the manifest schema's list): C0 and C1 controls, bidi overrides and isolates. */
const NAME_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * An alert's name as a monitor's name: Prometheus takes any text, a monitor's name is one line of
 * at most NAME_MAX characters without controls, so the module the import writes validates as it
 * is. Each run of controls becomes a space; a long name is cut on a code point.
 */
function monitorName(alert: string): { text: string; controls: boolean; cut: boolean } {
  const plain = alert.replace(NAME_CONTROLS, " ").trim();
  let text = "";
  for (const ch of plain) {
    if (text.length + ch.length > NAME_MAX) break;
    text += ch;
  }
  return { text, controls: plain !== alert.trim(), cut: text.length < plain.length };
}

/**
 * Prometheus's conventions for the `severity` label: critical and page page; warning warns; info
 * informs; error is a Watchkeeper severity of its own. Anything else is a warning, said so.
 */
function severityOf(rule: AlertingRule, group: RuleGroup): { severity: ImportSeverity | null; note: ImportNote | null } {
  const label = rule.labels.get("severity") ?? group.labels.get("severity");
  if (!label) return { severity: null, note: null };
  switch (label.value.trim().toLowerCase()) {
    case "critical":
    case "page":
      return { severity: "critical", note: null };
    case "error":
      return { severity: "error", note: null };
    case "warning":
    case "warn":
      return { severity: "warning", note: null };
    case "info":
      return { severity: "info", note: null };
    default:
      return { severity: "warning", note: note(label, `severity ${JSON.stringify(label.value)} is not one Watchkeeper knows (critical, page, error, warning, info): imported as warning`) };
  }
}

function summaryDraft(source: Located, annotation: string, notes: ImportNote[]): SummaryDraft | null {
  const t = translateTemplate(source.value);
  if (t.controlFlow !== null) {
    notes.push(note(source, `${annotation} ${JSON.stringify(source.value)} uses ${t.controlFlow}, which has no equivalent: the monitor keeps the default summary (name: message)`));
    return null;
  }
  if (t.dropped.length > 0) notes.push(note(source, `${annotation}: ${t.dropped.join(", ")} left out of ${JSON.stringify(source.value)}: no equivalent in Watchkeeper summaries`));
  if (needsFunction(t.parts)) return { kind: "function", body: asTemplateLiteral(t.parts), formats: formatsUsed(t.parts) };
  return { kind: "template", text: asTemplate(t.parts) };
}

/** Description and runbook: shown as written, so a template is translated to the summary syntax for readers. */
function textDraft(source: Located, annotation: string, notes: ImportNote[]): string {
  const t = translateTemplate(source.value);
  if (t.controlFlow !== null) {
    notes.push(note(source, `${annotation} uses ${t.controlFlow}, which has no equivalent: kept as written, in Prometheus's template syntax`));
    return source.value;
  }
  if (t.dropped.length > 0) notes.push(note(source, `${annotation}: ${t.dropped.join(", ")} left out of ${JSON.stringify(source.value)}: no equivalent in Watchkeeper`));
  if (needsFunction(t.parts)) notes.push(note(source, `${annotation}: value formatting (humanize, printf) is not applied outside the summary; shown as {{value}}`));
  return asTemplate(t.parts);
}

function note(at: Located<unknown>, message: string): ImportNote {
  return { at: at.at, message };
}

/** A Prometheus duration in Watchkeeper's one-unit form: `1h30m` -> `90m`, `1y` -> `365d`. */
export function ourDuration(prom: string): string {
  const ms = promDurationMs(prom);
  if (ms === undefined) throw new Error(`not a duration: ${prom}`);
  for (const [unit, size] of [["w", 604_800_000], ["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `KubePodCrashLooping` -> `kube-pod-crash-looping`, `HTTPErrors5xx` -> `http-errors5xx`; at most ID_MAX characters. */
export function kebab(name: string): string {
  const words = name
    // Letters with accents keep their base letter: `ÜberAlert` -> `uber-alert`.
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return cut(words || "alert", ID_MAX);
}

function cut(id: string, max: number): string {
  return id.length <= max ? id : id.slice(0, max).replace(/-+$/, "");
}

/** `checkout-error-rate` -> `checkoutErrorRate`, safe as a binding name. */
export function camel(id: string): string {
  const name = id.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  if (/^[0-9]/.test(name)) return `alert${name[0]!.toUpperCase()}${name.slice(1)}`;
  return JS_RESERVED.has(name) ? `${name}Alert` : name;
}

/**
 * Hands out unique names in the order asked: the first keeps its name; a later one gets a hint
 * (the severity: `high-error-rate-critical`) and then a number. Same input, same names.
 */
class UniqueNames {
  private readonly taken = new Set<string>();

  constructor(
    private readonly style: "kebab" | "camel",
    reserved: Iterable<string> = [],
  ) {
    for (const name of reserved) this.taken.add(name);
  }

  take(base: string, hint: string): string {
    const suffixed = (s: string) =>
      this.style === "kebab" ? `${cut(base, ID_MAX - s.length - 1)}-${s}` : `${base}${s[0]!.toUpperCase()}${s.slice(1)}`;
    const candidates = [base, ...(hint ? [suffixed(hint)] : [])];
    for (const c of candidates) if (!this.taken.has(c)) return this.mark(c);
    for (let n = 2; ; n++) {
      const c = suffixed(String(n));
      if (!this.taken.has(c)) return this.mark(c);
    }
  }

  private mark(name: string): string {
    this.taken.add(name);
    return name;
  }
}
