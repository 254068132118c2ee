import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import { parseDuration } from "../../sdk/duration.js";
import { parseZonedDateTime } from "../../sdk/oncall/zoned-time.js";
import type { DnsRcode, DnsServerAnswer, HttpAnswer } from "../../sdk/index.js";
import type { LoadedTest } from "./test-protocol.js";

/**
 * A loaded test checked against the compiled manifest and turned into typed values: times in ms,
 * one action per step, every monitor resolved. The loader's answer is untrusted data, so each
 * field is checked here; the simulation trusts what comes out. Problems name the step or
 * expectation (its index, and its line once source-lines.ts has mapped it).
 */

export type StepAction =
  | { kind: "http"; answer: HttpAnswer }
  | { kind: "series"; series: Array<{ labels: Record<string, string>; value: number }> }
  /** The older DNS step: the result itself, without the check. */
  | { kind: "dns"; ok: boolean; answers: string[]; message: string | null; latencyMs: number }
  /** A DNS step the runtime's check judges: what the resolver and each named nameserver answer. */
  | { kind: "dnsReply"; reply: DnsServerAnswer; nameservers: Record<string, DnsServerAnswer>; latencyMs: number }
  /** `error`: the socket's code, `timeout`, or null when connected. */
  | { kind: "tcp"; connected: boolean; error: string | null; latencyMs: number }
  | { kind: "heartbeat"; received: boolean }
  | { kind: "uptime"; up: boolean; message: string }
  | { kind: "script"; outcome: unknown }
  | { kind: "emergency"; message: string }
  | { kind: "emergencyResolved" }
  | { kind: "error"; message: string; reason: "timeout" | "unreachable" | "tls" | "bad-response" | "config" | "code" }
  | { kind: "acknowledge"; by: string; labels: Record<string, string> | null };

export interface TestStepAt {
  monitorId: string;
  /** Which list it came from (`steps`, or `others[i].steps`) and its index there: for locations. */
  list: string;
  index: number;
  at: number;
  action: StepAction;
}

export interface NotificationExpectation {
  type: "trigger" | "remind" | "resolve" | "acknowledge";
  destination: string;
  dedupKey: string | null;
  labels: Record<string, string> | null;
}

export interface Expectation {
  index: number;
  at: number;
  /** Null: the monitor's only label set. */
  labels: Record<string, string> | null;
  alert: "inactive" | "pending" | "firing";
  acknowledged: boolean | null;
  notifications: NotificationExpectation[] | null;
}

export interface ParsedTest {
  file: string;
  line: number;
  column: number;
  name: string;
  monitor: MonitorSpec;
  others: MonitorSpec[];
  start: number;
  steps: TestStepAt[];
  expect: Expectation[];
}

/** A bad input in a test: where (the test, or one of its steps or expectations) and what. */
export interface TestProblem {
  file: string;
  line: number;
  /** `steps[2]`, `expect[0]`, `others[0].steps[1]`, or null for the test itself. */
  path: string | null;
  message: string;
  hint: string;
}

const ERROR_REASONS = ["timeout", "unreachable", "tls", "bad-response", "config", "code"] as const;

/** The step keys each check kind accepts (besides `error` and `acknowledge`, which every kind does). */
const STEP_KINDS: Record<string, string[]> = {
  http: ["http", "httpWindow"],
  series: ["prometheus"],
  dns: ["dns"],
  tcp: ["tcp"],
  heartbeat: ["heartbeat"],
  uptime: ["webhook"],
  script: ["script"],
  emergency: ["manual"],
  emergencyResolved: ["manual"],
};

const STEP_FOR_KIND: Record<string, string> = {
  http: "http: { status, body?, headers?, latency? }",
  httpWindow: "http: { status, body }",
  prometheus: "series: [{ labels, value }]",
  dns: "dns: { answers: [...] } or { rcode }, with latency? and nameservers?",
  tcp: "tcp: { connected: true, latency? } or { connected: false, error? }",
  heartbeat: 'heartbeat: "received"',
  webhook: "uptime: { up, message? }",
  script: "script: true | false | number | { ok, value?, message?, labels? }",
  manual: "emergency: { message } or emergencyResolved: true",
};

export function parseTest(raw: LoadedTest, manifest: Manifest): { test: ParsedTest | null; problems: TestProblem[] } {
  const problems: TestProblem[] = [];
  const at = (path: string | null, message: string, hint: string) => problems.push({ file: raw.file, line: raw.line, path, message, hint });
  const byId = new Map(manifest.monitors.map((m) => [m.id, m]));
  const findMonitor = (id: string | null, path: string): MonitorSpec | null => {
    if (id === null) {
      at(path, "`monitor` is not a monitor", "pass the monitor construct itself, imported from its module: monitor: websiteHome");
      return null;
    }
    const spec = byId.get(id);
    if (!spec) at(path, `unknown monitor ${id}: it is not in the compiled project`, "import the monitor from a module the config's `monitors` globs include, and export it there");
    return spec ?? null;
  };
  const monitor = findMonitor(raw.monitorId, "monitor");
  const others = raw.others.map((o, i) => findMonitor(o.monitorId, `others[${i}].monitor`));

  const start = typeof raw.start === "string" ? parseAbsolute(raw.start) : null;
  if (start === null) at("start", `start ${JSON.stringify(raw.start)} is not an ISO time with a zone`, 'write it as "2026-12-05T03:12:00Z" or with an offset, "+01:00"');
  if (!monitor || start === null || others.some((o) => o === null)) return { test: null, problems };

  const steps: TestStepAt[] = [];
  const lists: Array<{ list: string; monitor: MonitorSpec; items: unknown }> = [
    { list: "steps", monitor, items: raw.steps },
    ...raw.others.map((o, i) => ({ list: `others[${i}].steps`, monitor: others[i]!, items: o.steps })),
  ];
  for (const { list, monitor: target, items } of lists) {
    if (!Array.isArray(items)) {
      at(list, `${list} is not a list`, "give steps as an array of { at, ... }");
      continue;
    }
    items.forEach((item, index) => {
      const path = `${list}[${index}]`;
      const problem = (message: string, hint: string) => at(path, message, hint);
      const record = isRecord(item) ? item : null;
      if (!record) return problem("a step must be an object", "write { at: \"+1m\", ... }");
      const time = parseTime(record["at"], start);
      if (time === null) return problem(`step time ${JSON.stringify(record["at"])} is not an offset ("+5m") or an ISO time`, 'write "+90s", "+5m" or "2026-12-05T03:17:00Z"');
      if (time < start) return problem(`step at ${new Date(time).toISOString()} is before the test's start ${new Date(start).toISOString()}`, "move the step to start or later, or start the test earlier");
      const action = parseAction(record, target, problem);
      if (action) steps.push({ monitorId: target.id, list, index, at: time, action });
    });
  }
  steps.sort((a, b) => a.at - b.at);

  const expect: Expectation[] = [];
  const produced = labelSets(monitor, steps);
  if (!Array.isArray(raw.expect)) at("expect", "expect is not a list", "give expectations as an array of { at, alert, ... }");
  else
    raw.expect.forEach((item, index) => {
      const path = `expect[${index}]`;
      const problem = (message: string, hint: string) => at(path, message, hint);
      const record = isRecord(item) ? item : null;
      if (!record) return problem("an expectation must be an object", 'write { at: "+5m", alert: "firing" }');
      const time = parseTime(record["at"], start);
      if (time === null) return problem(`expectation time ${JSON.stringify(record["at"])} is not an offset ("+5m") or an ISO time`, 'write "+5m" or an ISO time with a zone');
      if (time < start) return problem(`expectation at ${new Date(time).toISOString()} is before the test's start`, "expect things at start or later");
      const alert = record["alert"];
      if (alert !== "inactive" && alert !== "pending" && alert !== "firing") return problem(`alert must be "inactive", "pending" or "firing", got ${JSON.stringify(alert)}`, "name the alert state expected at that time");
      const labels = record["labels"] === undefined ? null : stringRecord(record["labels"]);
      if (record["labels"] !== undefined && labels === null) return problem("labels must be an object of strings", 'write labels: { instance: "pod-1" }');
      if (!produced.some((set) => sameLabelSet(set, labels ?? {}, monitor.labels))) {
        const known = produced.map(formatLabels).join(", ") || "none";
        return problem(
          `${monitor.id} cannot produce the label set ${formatLabels(labels ?? {})}: its steps give ${known}`,
          monitor.check.kind === "prometheus" ? "use the labels of a series the steps return" : "a check of this kind has one label set; leave `labels` out",
        );
      }
      const acknowledged = record["acknowledged"];
      if (acknowledged !== undefined && typeof acknowledged !== "boolean") return problem("acknowledged must be true or false", "write acknowledged: true");
      const notifications = record["notifications"] === undefined ? null : parseNotifications(record["notifications"], manifest, problem);
      if (record["notifications"] !== undefined && notifications === null) return;
      expect.push({ index, at: time, labels, alert, acknowledged: acknowledged ?? null, notifications });
    });
  if (Array.isArray(raw.expect) && raw.expect.length === 0) at("expect", "the test expects nothing", "add at least one { at, alert } expectation");
  const name = raw.name ?? `${monitor.id} (${raw.file}:${raw.line})`;
  return { test: problems.length > 0 ? null : { file: raw.file, line: raw.line, column: raw.column, name, monitor, others: others as MonitorSpec[], start, steps, expect }, problems };
}

function parseAction(record: Record<string, unknown>, monitor: MonitorSpec, problem: (m: string, h: string) => void): StepAction | null {
  const keys = Object.keys(record).filter((k) => k !== "at" && !(k === "reason" && "error" in record));
  const kind = monitor.check.kind;
  const expected = `a ${kind} monitor takes ${STEP_FOR_KIND[kind]}, error: "...", or acknowledge: { by }`;
  if (keys.length !== 1) {
    problem(`a step needs exactly one result besides \`at\`, got ${keys.length === 0 ? "none" : keys.join(", ")}`, expected);
    return null;
  }
  const key = keys[0]!;
  const value = record[key];
  if (key !== "error" && key !== "acknowledge") {
    const kinds = STEP_KINDS[key];
    if (!kinds) {
      problem(`unknown step result \`${key}\``, expected);
      return null;
    }
    if (!kinds.includes(kind)) {
      problem(`a \`${key}\` step does not fit ${monitor.id}, whose check is ${kind}`, expected);
      return null;
    }
  }
  const bad = (what: string) => {
    problem(`\`${key}\` ${what}`, expected);
    return null;
  };
  switch (key) {
    case "error": {
      if (typeof value !== "string") return bad("must be the error's message");
      const reason = record["reason"] ?? "unreachable";
      if (!ERROR_REASONS.includes(reason as never)) return bad(`reason ${JSON.stringify(reason)} is not one of ${ERROR_REASONS.join(", ")}`);
      return { kind: "error", message: value, reason: reason as (typeof ERROR_REASONS)[number] };
    }
    case "acknowledge": {
      if (!isRecord(value) || typeof value["by"] !== "string") return bad("needs { by: \"name\" }");
      const labels = value["labels"] === undefined ? null : stringRecord(value["labels"]);
      return { kind: "acknowledge", by: value["by"], labels };
    }
    case "http": {
      if (!isRecord(value) || typeof value["status"] !== "number" || !Number.isInteger(value["status"])) return bad("needs a numeric status");
      if (value["latency"] !== undefined && parseDuration(String(value["latency"])) === undefined) return bad(`latency ${JSON.stringify(value["latency"])} is not a duration`);
      if (value["headers"] !== undefined && stringRecord(value["headers"]) === null) return bad("headers must be an object of strings");
      if (value["certificateExpires"] !== undefined && parseAbsolute(String(value["certificateExpires"])) === null) return bad("certificateExpires must be an ISO time with a zone");
      return { kind: "http", answer: value as unknown as HttpAnswer };
    }
    case "series": {
      if (!Array.isArray(value)) return bad("must be a list of { labels, value }");
      const series: Array<{ labels: Record<string, string>; value: number }> = [];
      for (const s of value) {
        const labels = isRecord(s) ? (s["labels"] === undefined ? {} : stringRecord(s["labels"])) : null;
        const v = isRecord(s) ? sampleValue(s["value"]) : null;
        if (labels === null || v === null) return bad('entries must be { labels?: { name: "value" }, value: number | "NaN" | "+Inf" | "-Inf" }');
        series.push({ labels, value: v });
      }
      return { kind: "series", series };
    }
    case "dns": {
      if (!isRecord(value)) return bad("needs { answers: [...] } or { rcode }");
      const latency = parseDuration(String(value["latency"] ?? "0ms"));
      if (latency === undefined) return bad(`latency ${JSON.stringify(value["latency"])} is not a duration`);
      if ("ok" in value) {
        if (typeof value["ok"] !== "boolean") return bad("ok must be true or false");
        const answers = Array.isArray(value["answers"]) ? value["answers"].map(String) : [];
        return { kind: "dns", ok: value["ok"], answers, message: typeof value["message"] === "string" ? value["message"] : null, latencyMs: latency };
      }
      const reply = dnsServerAnswer(value);
      if (typeof reply === "string") return bad(reply);
      const nameservers: Record<string, DnsServerAnswer> = {};
      if (value["nameservers"] !== undefined) {
        if (!isRecord(value["nameservers"])) return bad("nameservers must be an object: { \"ns1.example.com\": { answers: [...] } | { rcode } }");
        const named = monitor.check.kind === "dns" ? monitor.check.nameservers : [];
        for (const [ns, answer] of Object.entries(value["nameservers"])) {
          if (!named.includes(ns)) return bad(`nameservers: ${ns} is not one of ${monitor.id}'s nameservers (${named.join(", ") || "none"})`);
          const parsed = isRecord(answer) ? dnsServerAnswer(answer) : "needs { answers: [...] } or { rcode }";
          if (typeof parsed === "string") return bad(`nameservers.${ns}: ${parsed}`);
          nameservers[ns] = parsed;
        }
      }
      return { kind: "dnsReply", reply, nameservers, latencyMs: latency };
    }
    case "tcp": {
      if (!isRecord(value) || typeof value["connected"] !== "boolean") return bad("needs { connected: true | false }");
      const latency = parseDuration(String(value["latency"] ?? "0ms"));
      if (latency === undefined) return bad(`latency ${JSON.stringify(value["latency"])} is not a duration`);
      if (value["connected"] && value["error"] !== undefined) return bad("a connected step has no error");
      if (value["error"] !== undefined && (typeof value["error"] !== "string" || !/^(timeout|E[A-Z]+)$/.test(value["error"]))) {
        return bad(`error ${JSON.stringify(value["error"])} is not a socket error code (ECONNREFUSED, EHOSTUNREACH, ...) or "timeout"`);
      }
      const error = value["connected"] ? null : typeof value["error"] === "string" ? value["error"] : "ECONNREFUSED";
      return { kind: "tcp", connected: value["connected"], error, latencyMs: latency };
    }
    case "heartbeat":
      if (value !== "received" && value !== "missing") return bad('must be "received" or "missing"');
      return { kind: "heartbeat", received: value === "received" };
    case "uptime":
      if (!isRecord(value) || typeof value["up"] !== "boolean") return bad("needs { up: true | false, message? }");
      return { kind: "uptime", up: value["up"], message: typeof value["message"] === "string" ? value["message"] : value["up"] ? "up" : "down" };
    case "script":
      return { kind: "script", outcome: value };
    case "emergency":
      if (!isRecord(value) || typeof value["message"] !== "string") return bad("needs { message }");
      return { kind: "emergency", message: value["message"] };
    case "emergencyResolved":
      return { kind: "emergencyResolved" };
  }
  return null;
}

function parseNotifications(value: unknown, manifest: Manifest, problem: (m: string, h: string) => void): NotificationExpectation[] | null {
  if (!Array.isArray(value)) {
    problem("notifications must be a list", 'write notifications: [{ type: "trigger", destination: website }]');
    return null;
  }
  const destinations = new Set([...manifest.services.map((s) => `service:${s.id}`), ...manifest.channels.map((c) => `channel:${c.id}`)]);
  const out: NotificationExpectation[] = [];
  for (const n of value) {
    const type = isRecord(n) ? n["type"] : undefined;
    const destination = isRecord(n) ? n["destination"] : undefined;
    if (type !== "trigger" && type !== "reminder" && type !== "resolve" && type !== "acknowledge") {
      problem(`notification type ${JSON.stringify(type)} is not trigger, reminder, resolve or acknowledge`, "name the kind of notification expected");
      return null;
    }
    if (typeof destination !== "string" || !destinations.has(destination)) {
      problem(`notification destination ${JSON.stringify(destination)} is not a service or channel of the project`, `pass the service or channel construct, or one of ${[...destinations].join(", ")}`);
      return null;
    }
    const record = n as Record<string, unknown>;
    out.push({
      type: type === "reminder" ? "remind" : type,
      destination,
      dedupKey: typeof record["dedupKey"] === "string" ? record["dedupKey"] : null,
      labels: record["labels"] === undefined ? null : stringRecord(record["labels"]),
    });
  }
  return out;
}

const RCODES: readonly DnsRcode[] = ["NXDOMAIN", "NODATA", "SERVFAIL", "REFUSED", "TIMEOUT"];

/** `{ answers: [...] }` or `{ rcode }`, or what is wrong with it. */
function dnsServerAnswer(value: Record<string, unknown>): DnsServerAnswer | string {
  const hasAnswers = value["answers"] !== undefined;
  const hasRcode = value["rcode"] !== undefined;
  if (hasAnswers === hasRcode) return "needs either answers: [...] (records as text) or rcode: one of " + RCODES.join(", ");
  if (hasRcode) return RCODES.includes(value["rcode"] as DnsRcode) ? { rcode: value["rcode"] as DnsRcode } : `rcode ${JSON.stringify(value["rcode"])} is not one of ${RCODES.join(", ")}`;
  const answers = value["answers"];
  if (!Array.isArray(answers) || answers.some((a) => typeof a !== "string")) return "answers must be a list of strings";
  if (answers.length === 0) return "answers is empty; a name without records of this type answers rcode: \"NODATA\"";
  return { answers: answers as string[] };
}

/** The label sets the monitor's check can produce in this test: series and script labels, else the one empty set. */
export function labelSets(monitor: MonitorSpec, steps: TestStepAt[]): Array<Record<string, string>> {
  const sets = new Map<string, Record<string, string>>();
  const add = (labels: Record<string, string>) => sets.set(formatLabels(labels), labels);
  const kind = monitor.check.kind;
  if (kind !== "prometheus" && kind !== "script") add({});
  for (const step of steps) {
    if (step.monitorId !== monitor.id) continue;
    if (step.action.kind === "series") step.action.series.forEach((s) => add(s.labels));
    if (step.action.kind === "script") {
      const o = step.action.outcome;
      add(isRecord(o) && isRecord(o["labels"]) ? (stringRecord(o["labels"]) ?? {}) : {});
    }
    if (step.action.kind === "error") add({});
  }
  return [...sets.values()];
}

/** Two label sets are the same alert once the monitor's own labels are applied over both. */
export function sameLabelSet(a: Record<string, string>, b: Record<string, string>, monitorLabels: Record<string, string>): boolean {
  return formatLabels({ ...a, ...monitorLabels }) === formatLabels({ ...b, ...monitorLabels });
}

export function formatLabels(labels: Record<string, string>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseAbsolute(text: string): number | null {
  if (!ISO_WITH_ZONE.test(text)) return null;
  // Date.parse moves February 30 to March 2; the calendar's own reading refuses it.
  return parseZonedDateTime(text, "UTC") ?? null;
}

function parseTime(value: unknown, start: number): number | null {
  if (typeof value !== "string") return null;
  if (value.startsWith("+")) {
    // "+5m", or compound as people say it: "+2m30s", "+1h15m".
    const parts = value.slice(1).match(/\d+(?:\.\d+)?(?:ms|s|m|h|d|w)/g);
    if (!parts || parts.join("") !== value.slice(1)) return null;
    const ms = parts.reduce((sum, part) => sum + (parseDuration(part) ?? NaN), 0);
    return Number.isFinite(ms) ? start + ms : null;
  }
  return parseAbsolute(value);
}

function sampleValue(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "+Inf") return Infinity;
  if (value === "-Inf") return -Infinity;
  return null;
}

function stringRecord(value: unknown): Record<string, string> | null {
  if (!isRecord(value)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") return null;
    out[k] = v;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
