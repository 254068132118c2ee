import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair, type YAMLMap } from "yaml";
import { promqlProblem } from "../rules/valid-promql.js";
import { templateProblem } from "./go-template.js";

/**
 * Prometheus rule files (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/),
 * parsed at the edge into typed groups that remember where each value stood, or refused with every
 * problem at file:line:column. The checks follow Prometheus's own `rulefmt`: unknown fields,
 * a missing or repeated group name, a rule that is both or neither `alert` and `record`, an empty
 * or unparsable `expr`, bad durations, empty label names and templates. A name Prometheus 3 takes
 * but a monitor cannot hold (`k8s-cluster`, `__shard`) is left to the drafting, which renames it.
 */

/** A place in the rules file, 1-based. */
export interface Position {
  line: number;
  column: number;
}

/** A string value and where it stood. */
export interface Located<T = string> {
  value: T;
  at: Position;
}

export interface AlertingRule {
  kind: "alert";
  alert: Located;
  expr: Located;
  for: Located | null;
  keepFiringFor: Located | null;
  labels: Map<string, Located>;
  annotations: Map<string, Located>;
  at: Position;
}

export interface RecordingRule {
  kind: "record";
  record: Located;
  expr: Located;
  labels: Map<string, Located>;
  at: Position;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  name: Located;
  interval: Located | null;
  queryOffset: Located | null;
  limit: Located<number> | null;
  /** Labels every rule of the group gets (Prometheus 3); a rule's own labels win. */
  labels: Map<string, Located>;
  rules: Rule[];
  at: Position;
}

/** One problem in a rules file. */
export interface RulesProblem {
  at: Position;
  message: string;
}

export type ParsedRules = { ok: true; groups: RuleGroup[] } | { ok: false; problems: RulesProblem[] };

const GROUP_KEYS = new Set(["name", "interval", "query_offset", "limit", "rules", "labels"]);
const RULE_KEYS = new Set(["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Prometheus's `model.ParseDuration`: units largest first, each at most once. */
const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Nodes that aliases may add in all: generous for shared labels on thousands of rules, refused long before memory runs out. */
const ALIAS_NODE_LIMIT = 250_000;

function nodeCount(node: Node): number {
  let count = 0;
  visit(node, () => void count++);
  return count;
}

/** Milliseconds of a Prometheus duration (`1h30m`, `5m`, `0`), or undefined when it is not one. */
export function promDurationMs(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  const m = PROM_DURATION.exec(text);
  if (!m) return undefined;
  return m.slice(1).reduce((sum, part, i) => sum + (part === undefined ? 0 : Number(part) * UNIT_MS[i]!), 0);
}

/** Parses a rules file's text; `problems` says what is wrong and where, all at once. */
export function parseRulesFile(text: string): ParsedRules {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ at: pos(e.pos[0]), message: `not valid YAML: ${firstLine(e.message)}` })) };
  }
  // Aliases (`labels: *common`) stand for their anchor, as Go's YAML reads them; a copy keeps the anchor's position.
  // Their copies are counted: nested aliases grow them exponentially (a billion laughs), and an
  // anchor that contains its own alias without end.
  let copied = 0;
  let refusal: RulesProblem | undefined;
  visit(doc, {
    Alias: (_key, alias, path) => {
      const anchor = alias.resolve(doc) as Node | undefined;
      if (anchor !== undefined && path.includes(anchor)) {
        refusal = { at: pos(alias.range?.[0] ?? 0), message: `alias *${alias.source} stands inside its own anchor &${alias.source}, which would never end` };
        return visit.BREAK;
      }
      copied += anchor === undefined ? 0 : nodeCount(anchor);
      if (copied > ALIAS_NODE_LIMIT) {
        refusal = { at: pos(alias.range?.[0] ?? 0), message: `aliases expand to more than ${ALIAS_NODE_LIMIT.toLocaleString("en")} YAML nodes here (anchors nested in anchors); a rules file needs far fewer: write the values out` };
        return visit.BREAK;
      }
      return anchor?.clone() as Node | undefined;
    },
  });
  if (refusal !== undefined) return { ok: false, problems: [refusal] };
  const problems: RulesProblem[] = [];
  const at = (node: Node | null | undefined): Position => pos(node?.range?.[0] ?? 0);
  const problem = (node: Node | null | undefined, message: string) => problems.push({ at: at(node), message });
  const ctx: Ctx = { problem, at };

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return { ok: true, groups: [] };
  if (!isMap(root)) {
    problem(root, "not a Prometheus rules file: expected a mapping with `groups:` at the top");
    return { ok: false, problems };
  }
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (key !== "groups") problem(pair.key as Node, `not a Prometheus rules file: unknown top-level field "${key}" (a rules file has only \`groups:\`)`);
  }
  const groupsNode = root.get("groups", true) as Node | undefined;
  const groups: RuleGroup[] = [];
  if (groupsNode === undefined || (isScalar(groupsNode) && groupsNode.value === null)) return problems.length ? { ok: false, problems } : { ok: true, groups };
  if (!isSeq(groupsNode)) {
    problem(groupsNode, "`groups` must be a list of rule groups");
    return { ok: false, problems };
  }
  const names = new Map<string, Position>();
  for (const item of groupsNode.items as Node[]) {
    if (!isMap(item)) {
      problem(item, "a rule group must be a mapping with `name` and `rules`");
      continue;
    }
    unknownKeys(item, GROUP_KEYS, "rule group", ctx);
    const name = stringField(item, "name", ctx);
    if (name === null || name.value === "") {
      problem(item, "a rule group needs a `name`");
      continue;
    }
    const seen = names.get(name.value);
    if (seen) problem(item.get("name", true) as Node, `group name "${name.value}" is repeated (first at line ${seen.line}); group names are unique in a file`);
    names.set(name.value, name.at);
    const interval = durationField(item, "interval", ctx);
    const queryOffset = durationField(item, "query_offset", ctx);
    const limitNode = item.get("limit", true) as Node | undefined;
    let limit: Located<number> | null = null;
    if (limitNode !== undefined) {
      const n = isScalar(limitNode) ? Number(limitNode.value) : NaN;
      if (!Number.isInteger(n) || n < 0) problem(limitNode, "`limit` must be a whole number (0 means no limit)");
      else limit = { value: n, at: at(limitNode) };
    }
    const rulesNode = item.get("rules", true) as Node | undefined;
    const rules: Rule[] = [];
    if (rulesNode !== undefined && !(isScalar(rulesNode) && rulesNode.value === null)) {
      if (!isSeq(rulesNode)) problem(rulesNode, "`rules` must be a list of rules");
      else for (const r of rulesNode.items as Node[]) {
        const rule = parseRule(r, ctx);
        if (rule) rules.push(rule);
      }
    }
    groups.push({ name, interval, queryOffset, limit, labels: labelMap(item, "labels", ctx), rules, at: at(item) });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, groups };
}

type Report = (node: Node | null | undefined, message: string) => void;

/** What the field readers share during one parse: where to report, and how offsets become positions. */
interface Ctx {
  problem: Report;
  at: (node: Node | null | undefined) => Position;
}

function parseRule(node: Node, ctx: Ctx): Rule | null {
  const { problem, at } = ctx;
  if (!isMap(node)) {
    problem(node, "a rule must be a mapping with `alert` or `record`, and `expr`");
    return null;
  }
  unknownKeys(node, RULE_KEYS, "rule", ctx);
  const alert = stringField(node, "alert", ctx);
  const record = stringField(node, "record", ctx);
  const expr = stringField(node, "expr", ctx);
  if (alert && record) {
    problem(node, `a rule is either an alerting rule or a recording rule: this one has both \`alert: ${alert.value}\` and \`record: ${record.value}\``);
    return null;
  }
  if (!alert && !record) {
    problem(node, "a rule needs `alert` (an alerting rule) or `record` (a recording rule)");
    return null;
  }
  const what = alert ? `alert "${alert.value}"` : `record "${record!.value}"`;
  if ((alert && alert.value.trim() === "") || (record && record.value.trim() === "")) problem(node, "the rule's name is empty");
  if (!expr || expr.value.trim() === "") {
    problem(node, `${what}: \`expr\` is missing or empty`);
    return null;
  }
  const bad = promqlProblem(expr.value);
  if (bad) problem(node.get("expr", true) as Node, `${what}: expr does not parse at ${bad.line}:${bad.column} of the query: ${bad.problem}`);
  const labels = labelMap(node, "labels", ctx);
  if (record) {
    if (!METRIC_NAME.test(record.value)) problem(node.get("record", true) as Node, `record "${record.value}" is not a valid metric name`);
    for (const key of ["for", "keep_firing_for", "annotations"]) {
      if (node.has(key)) problem(node.get(key, true) as Node, `${what}: \`${key}\` is for alerting rules only`);
    }
    return { kind: "record", record, expr, labels, at: at(node) };
  }
  return {
    kind: "alert",
    alert: alert!,
    expr,
    for: durationField(node, "for", ctx),
    keepFiringFor: durationField(node, "keep_firing_for", ctx),
    labels,
    annotations: labelMap(node, "annotations", ctx),
    at: at(node),
  };
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function unknownKeys(map: YAMLMap, allowed: Set<string>, what: string, { problem }: Ctx): void {
  for (const pair of map.items) {
    const key = keyOf(pair);
    if (!allowed.has(key)) problem(pair.key as Node, `unknown field "${key}" in a ${what} (allowed: ${[...allowed].join(", ")})`);
  }
}

/** A scalar field as text: the source as written for plain scalars (`1.0` stays `1.0`), as Go's YAML reads it into a string. */
function stringField(map: YAMLMap, key: string, { problem, at }: Ctx): Located | null {
  const node = map.get(key, true) as Node | undefined;
  if (node === undefined) return null;
  if (!isScalar(node) || node.value === null || typeof node.value === "object") {
    problem(node, `\`${key}\` must be a string`);
    return null;
  }
  const value = typeof node.value === "string" ? node.value : (node.source ?? String(node.value));
  return { value, at: at(node) };
}

function durationField(map: YAMLMap, key: string, ctx: Ctx): Located | null {
  const { problem } = ctx;
  const field = stringField(map, key, ctx);
  if (field === null) return null;
  if (promDurationMs(field.value) === undefined) {
    problem(map.get(key, true) as Node, `\`${key}: ${field.value}\` is not a Prometheus duration (such as 30s, 5m, 1h30m)`);
    return null;
  }
  return field;
}

/** Labels or annotations: names checked, values read as text, templates checked for syntax. */
function labelMap(map: YAMLMap, key: string, { problem, at }: Ctx): Map<string, Located> {
  const out = new Map<string, Located>();
  const node = map.get(key, true) as Node | undefined;
  if (node === undefined || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) {
    problem(node, `\`${key}\` must be a mapping of names to values`);
    return out;
  }
  for (const pair of node.items) {
    const name = keyOf(pair);
    // Prometheus refuses only an empty name (its UTF-8 rule); a name a monitor cannot hold is
    // renamed or left out with a note when the rule is drafted, so the rest of the file still imports.
    if (name === "") problem(pair.key as Node, `${key} name "" is not valid (a name has at least one character)`);
    const value = pair.value as Node | null;
    if (value !== null && (!isScalar(value) || typeof value.value === "object")) {
      problem(value, `${key}.${name} must be a string`);
      continue;
    }
    const text = value === null || value.value === null ? "" : typeof value.value === "string" ? value.value : (value.source ?? String(value.value));
    const bad = templateProblem(text);
    if (bad) problem(value ?? (pair.key as Node), `${key}.${name}: template does not parse: ${bad}`);
    out.set(name, { value: text, at: at(value ?? (pair.key as Node)) });
  }
  return out;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
