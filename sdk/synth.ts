import { createHash } from "node:crypto";
import type { Channel } from "./constructs/channels.js";
import type { Check } from "./constructs/checks.js";
import type { ProjectConfig } from "./constructs/config.js";
import type { Construct } from "./constructs/definition.js";
import type { Monitor, ScheduleExpression } from "./constructs/monitor.js";
import type { EscalationPolicy, Restriction, Schedule, Service, Team, User } from "./constructs/oncall.js";
import type { MaintenanceWindow, Silence } from "./constructs/silence.js";
import type { Diagnostic } from "./constructs/diagnostics.js";
import type { ContactMethod } from "./constructs/contact-methods.js";
import type { StatusPage } from "./constructs/status-page.js";
import { parseDuration } from "./duration.js";
import { API_VERSION, DEFAULT_RUNTIME_SETTINGS, DEFAULT_TLS_MIN_KEY, V1_RETENTION_FIELDS } from "./manifest/constants.js";
import type { Manifest } from "./manifest/schema.js";
import { isSecretRef, type Secretish } from "./secret.js";

type Spec<K extends keyof Manifest> = NonNullable<Manifest[K]> extends (infer T)[] ? T : never;

export interface SynthInput {
  config: ProjectConfig;
  /** Every construct of the project, once each (see collectConstructs). */
  constructs: Construct[];
  /** `path/to/file.ts:LINE` where the construct was made. */
  sourceOf(construct: Construct): string;
  /**
   * The text a monitor's code hash is taken from (default `fn.toString()`). The compiler passes one
   * that undoes the bundler's renaming, so the hash does not depend on which modules shared a bundle.
   */
  functionText?(fn: Function): string;
}

const DEFAULT_TIMEOUT = "10s";
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** Turns the project's constructs into the manifest (without its hash): pure and deterministic. */
export function synthesize(input: SynthInput): Omit<Manifest, "hash"> {
  const { config, constructs, sourceOf } = input;
  const text = input.functionText ?? ((fn: Function) => fn.toString());
  const of = <K extends Construct["kind"]>(kind: K) => constructs.filter((c) => c.kind === kind).sort(byId);
  const defaults = config.defaults ?? {};
  const defaultChannels = (defaults.channels ?? []).map((c) => c.id);

  const monitors = (of("monitor") as Monitor[]).map(
    (m): Spec<"monitors"> => ({
      id: m.id,
      ...renamed(m),
      name: m.name ?? m.id,
      description: m.description ?? null,
      owner: m.owner === undefined ? null : typeof m.owner === "string" ? m.owner : m.owner.id,
      schedule: scheduleSpec(m.schedule, defaults.timezone ?? "UTC"),
      check: checkSpec(m.check),
      threshold: m.threshold ? { op: m.threshold.op, value: m.threshold.value } : null,
      for: m.for ?? "0s",
      keepFiringFor: m.keepFiringFor ?? "0s",
      failureThreshold: m.failureThreshold ?? 1,
      successThreshold: m.successThreshold ?? 1,
      repeatEvery: m.repeatEvery ?? null,
      onError: m.onError ?? "fail",
      severity: m.severity ?? defaults.severity ?? "error",
      service: m.service?.id ?? null,
      channels: unique([...(m.channels ?? []).map((c) => c.id), ...defaultChannels]),
      ackChannels: unique((m.notifyOnAcknowledge ?? []).map((c) => c.id)),
      inhibits: unique((m.inhibits ?? []).map((t) => t.id)),
      labels: { ...(m.labels ?? {}) },
      summary: typeof m.summary === "string" ? m.summary : "{{name}}: {{message}}",
      runbook: m.runbook ?? null,
      diagnostics: (m.diagnostics ?? []).map(diagnosticSpec),
      ...(m.locations && m.locations.length > 0 ? { locations: unique(m.locations) } : {}),
      ...(m.quorum !== undefined ? { quorum: m.quorum } : {}),
      code: {
        condition: typeof m.condition === "function",
        summary: typeof m.summary === "function",
        run: m.check.kind === "script",
        extract: m.check.kind === "httpWindow" && typeof m.check.extract === "function",
      },
      codeHash: codeHash(m, text),
      source: sourceOf(m),
    }),
  );

  const services = (of("service") as Service[]).map(
    (s): Spec<"services"> => ({
      id: s.id,
      ...renamed(s),
      ...adopted(s),
      name: s.name ?? s.id,
      description: s.description ?? null,
      escalationPolicy: s.escalationPolicy.id,
      team: s.team?.id ?? null,
      urgency: s.urgency ?? "high",
      autoResolveTimeout: s.autoResolveTimeout ?? null,
      acknowledgementTimeout: s.acknowledgementTimeout ?? null,
      alertGrouping: s.alertGrouping ? { type: s.alertGrouping.type, timeout: s.alertGrouping.timeout ?? null } : null,
      routingKey: s.routingKey ? { secret: s.routingKey.secret } : null,
      source: sourceOf(s),
    }),
  );

  const escalationPolicies = (of("escalationPolicy") as EscalationPolicy[]).map(
    (p): Spec<"escalationPolicies"> => ({
      id: p.id,
      ...renamed(p),
      ...adopted(p),
      name: p.name ?? p.id,
      description: p.description ?? null,
      loops: p.loops ?? 0,
      rules: p.rules.map((r) => ({
        escalationDelay: r.delay,
        targets: r.targets.map((t) => ({ type: t.kind === "user" ? ("user" as const) : ("schedule" as const), id: t.id })),
      })),
      teams: (p.teams ?? []).map((t) => t.id),
      source: sourceOf(p),
    }),
  );

  const schedules = (of("schedule") as Schedule[]).map(
    (s): Spec<"schedules"> => ({
      id: s.id,
      ...renamed(s),
      ...adopted(s),
      name: s.name ?? s.id,
      description: s.description ?? null,
      timeZone: s.timeZone,
      layers: s.layers.map((l, i) => ({
        name: l.name ?? `Layer ${i + 1}`,
        start: l.start,
        end: l.end ?? null,
        rotationTurnLength: l.rotation,
        rotationVirtualStart: l.handoff ?? l.start,
        users: l.users.map((u) => u.id),
        restrictions: (l.restrictions ?? []).map(restrictionSpec),
      })),
      teams: (s.teams ?? []).map((t) => t.id),
      source: sourceOf(s),
    }),
  );

  const teams = (of("team") as Team[]).map(
    (t): Spec<"teams"> => ({
      id: t.id,
      ...renamed(t),
      ...adopted(t),
      name: t.name,
      description: t.description ?? null,
      members: (t.members ?? []).map((m) =>
        "kind" in m ? { user: m.id, role: "responder" as const } : { user: m.user.id, role: m.role },
      ),
      source: sourceOf(t),
    }),
  );

  const users = (of("user") as User[]).map(
    (u): Spec<"users"> => ({
      id: u.id,
      ...renamed(u),
      ...contactsOf(u),
      name: u.name,
      email: u.email,
      role: u.role ?? "user",
      timeZone: u.timeZone ?? null,
      existing: u.existing ?? false,
      source: sourceOf(u),
    }),
  );

  const channels = (of("channel") as Channel[]).map((c) => channelSpec(c, sourceOf(c)));

  const silences = [
    ...(of("silence") as Silence[]).map(
      (s): Spec<"silences"> => ({
        id: s.id,
        kind: "silence",
        start: s.start,
        end: s.end,
        comment: s.comment ?? "",
        matchers: {
          monitors: (s.monitors ?? []).map((m) => m.id),
          services: (s.services ?? []).map((x) => x.id),
          labels: { ...(s.labels ?? {}) },
        },
        source: sourceOf(s),
      }),
    ),
    ...(of("maintenanceWindow") as MaintenanceWindow[]).map(
      (w): Spec<"silences"> => ({
        id: w.id,
        kind: "maintenance",
        start: w.start,
        end: w.end,
        comment: w.description ?? "",
        matchers: { monitors: [], services: w.services.map((s) => s.id), labels: {} },
        source: sourceOf(w),
      }),
    ),
  ].sort(byId);

  const statusPages = (of("statusPage") as StatusPage[]).map(
    (p): Spec<"statusPages"> => ({
      id: p.id,
      title: p.title ?? config.statusPage?.title ?? config.name,
      description: p.description ?? null,
      // A monitor given as its id (plain JavaScript) is kept as written; the status-pages rule checks it.
      // Groups or monitors that are not lists (forced past the types) are kept as written too, so
      // the schema names the field, what it holds and what it takes, at its line.
      groups: keptUnlessList(p.groups, (g) => ({ name: g.name, monitors: keptUnlessList(g.monitors, (m) => (typeof m === "string" ? m : m.id)) })),
      source: sourceOf(p),
    }),
  );

  return {
    apiVersion: API_VERSION,
    kind: "Manifest",
    project: { name: config.name },
    monitors,
    services,
    escalationPolicies,
    schedules,
    teams,
    users,
    channels,
    silences,
    // Written only when used, so a project without status pages keeps its manifest hash.
    ...(statusPages.length > 0 ? { statusPages } : {}),
    secrets: unique(config.secrets ?? []).sort(),
    settings: {
      statusPage: { title: config.statusPage?.title ?? config.name },
      publicUrl: config.publicUrl ?? null,
      runtime: {
        openReads: config.runtime?.openReads ?? DEFAULT_RUNTIME_SETTINGS.openReads,
        maxSilence: config.runtime?.maxSilence ?? DEFAULT_RUNTIME_SETTINGS.maxSilence,
        webhookMaxAge: config.runtime?.webhookMaxAge ?? DEFAULT_RUNTIME_SETTINGS.webhookMaxAge,
        retention: { ...v1RetentionDefaults(), ...config.runtime?.retention },
      },
    },
  };
}

/** The retention defaults every manifest has carried since v1; later fields only when set. */
function v1RetentionDefaults(): Record<(typeof V1_RETENTION_FIELDS)[number], string> {
  const d = DEFAULT_RUNTIME_SETTINGS.retention;
  return { results: d.results, notifications: d.notifications, silences: d.silences, inbound: d.inbound, resolvedAlerts: d.resolvedAlerts };
}

/**
 * Fields added after v1 are written only when used, so a project that does not use them compiles
 * to the same manifest (and hash) as before they existed.
 */
function renamed(c: { previousIds?: string[] }): { previousIds?: string[] } {
  return c.previousIds && c.previousIds.length > 0 ? { previousIds: unique(c.previousIds) } : {};
}

function adopted(c: { pagerdutyId?: string }): { pagerdutyId?: string } {
  return c.pagerdutyId !== undefined ? { pagerdutyId: c.pagerdutyId } : {};
}

function contactsOf(u: User): Pick<Spec<"users">, "contactMethods" | "notificationRules"> {
  const out: Pick<Spec<"users">, "contactMethods" | "notificationRules"> = {};
  if (u.contactMethods !== undefined) out.contactMethods = u.contactMethods.map(contactMethodSpec);
  if (u.notificationRules !== undefined) {
    out.notificationRules = u.notificationRules.map((r) => ({
      contactMethod: r.contactMethod.id,
      urgency: r.urgency,
      // PagerDuty counts in minutes; an invalid duration becomes -1 and a part of a minute stays a
      // fraction, which the schema reports instead of rounding "90s" to 2 minutes unsaid.
      startDelayInMinutes: (parseDuration(r.startDelay ?? "0m") ?? -60_000) / 60_000,
    }));
  }
  return out;
}

function contactMethodSpec(c: ContactMethod): NonNullable<Spec<"users">["contactMethods"]>[number] {
  const common = { id: c.id, type: c.type, label: c.label ?? c.id };
  switch (c.type) {
    case "email":
      return { ...common, address: c.address, countryCode: null, sendShortEmail: c.sendShortEmail ?? false };
    case "phone":
    case "sms":
      return { ...common, address: c.number, countryCode: c.countryCode, sendShortEmail: false };
    case "push":
      return { ...common, address: c.address, countryCode: null, sendShortEmail: false };
  }
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function scheduleSpec(schedule: ScheduleExpression, timezone: string): Spec<"monitors">["schedule"] {
  if (typeof schedule === "string") return { kind: "cron", expression: schedule, timezone };
  if ("every" in schedule) return { kind: "every", every: schedule.every };
  return { kind: "cron", expression: schedule.cron, timezone: schedule.timezone ?? timezone };
}

function secretish(value: Secretish): Secretish {
  return isSecretRef(value) ? { secret: value.secret } : value;
}

/** Copied as data: assigning a `__proto__` key would drop it without a word, and the schema reports it. */
function secretishRecord(record: Record<string, Secretish> | undefined): Record<string, Secretish> {
  return Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, secretish(v)]));
}

function bodyText(body: string | Record<string, unknown> | undefined): string | null {
  if (body === undefined) return null;
  return typeof body === "string" ? body : JSON.stringify(body);
}

/** Written only when the monitor sets it, so a manifest (and its hash) that says nothing stays as it was. */
function tlsMinKeySpec(min: { rsa?: number; ec?: number } | false | undefined): { tlsMinKey?: { rsa: number; ec: number } | false } {
  if (min === undefined) return {};
  if (min === false) return { tlsMinKey: false };
  return { tlsMinKey: { rsa: min.rsa ?? DEFAULT_TLS_MIN_KEY.rsa, ec: min.ec ?? DEFAULT_TLS_MIN_KEY.ec } };
}

function checkSpec(check: Check): Spec<"monitors">["check"] {
  switch (check.kind) {
    case "http": {
      const status = check.expect?.status;
      return {
        kind: "http",
        url: check.url,
        method: check.method ?? "GET",
        headers: secretishRecord(check.headers),
        body: bodyText(check.body),
        timeout: check.timeout ?? DEFAULT_TIMEOUT,
        followRedirects: check.followRedirects ?? true,
        expect: {
          status: status === undefined ? [] : Array.isArray(status) ? [...status] : [status],
          maxLatency: check.expect?.maxLatency ?? null,
          headers: { ...(check.expect?.headers ?? {}) },
          json: (check.expect?.json ?? []).map((a) => ({ ...a })),
          bodyContains: check.expect?.bodyContains ?? null,
          tlsExpiryWithin: check.expect?.tlsExpiryWithin ?? null,
          ...tlsMinKeySpec(check.expect?.tlsMinKey),
        },
      };
    }
    case "httpWindow":
      return {
        kind: "httpWindow",
        url: check.url,
        method: check.method ?? "GET",
        headers: secretishRecord(check.headers),
        body: bodyText(check.body),
        window: check.window,
        timeFormat: check.timeFormat ?? "iso",
        extract: typeof check.extract === "string" ? check.extract : null,
        timeout: check.timeout ?? DEFAULT_TIMEOUT,
      };
    case "prometheus":
      return {
        kind: "prometheus",
        server: check.server,
        query: check.query,
        headers: secretishRecord(check.headers),
        timeout: check.timeout ?? DEFAULT_TIMEOUT,
      };
    case "dns":
      return {
        kind: "dns",
        name: check.name,
        recordType: check.recordType ?? "A",
        resolver: check.resolver ?? null,
        expectValues: [...(check.expect ?? [])],
        nameservers: [...(check.nameservers ?? [])],
        timeout: check.timeout ?? "5s",
      };
    case "tcp":
      return { kind: "tcp", host: check.host, port: check.port, timeout: check.timeout ?? "5s" };
    case "heartbeat":
      return {
        kind: "heartbeat",
        every: check.every,
        grace: check.grace ?? "1m",
        token: check.token ? { secret: check.token.secret } : null,
      };
    case "webhook":
      return { kind: "webhook", format: check.format ?? "nodeping", token: { secret: check.token.secret } };
    case "script":
      return { kind: "script", timeout: check.timeout ?? "30s" };
    case "manual":
      return { kind: "manual", password: { secret: check.password.secret }, title: check.title ?? "Emergency" };
  }
}

function diagnosticSpec(d: Diagnostic): Spec<"monitors">["diagnostics"][number] {
  switch (d.kind) {
    case "dns":
      return { kind: "dns", name: d.name, recordType: d.recordType ?? "A", resolver: d.resolver ?? null };
    case "httpSweep":
      return { kind: "httpSweep", urls: [...d.urls], timeout: d.timeout ?? "5s" };
    case "hostLoad":
      return { kind: "hostLoad", loadavgFile: d.loadavgFile ?? "/proc/loadavg", meminfoFile: d.meminfoFile ?? "/proc/meminfo" };
  }
}

function restrictionSpec(r: Restriction): Spec<"schedules">["layers"][number]["restrictions"][number] {
  if ("daily" in r) {
    return { type: "daily_restriction", startTimeOfDay: timeOfDay(r.daily.start), duration: r.daily.duration, startDayOfWeek: null };
  }
  return {
    type: "weekly_restriction",
    startTimeOfDay: timeOfDay(r.weekly.start),
    duration: r.weekly.duration,
    startDayOfWeek: WEEKDAYS.indexOf(r.weekly.day) + 1,
  };
}

/** "9:00" and "09:00" become "09:00:00". */
function timeOfDay(text: string): string {
  const parts = text.split(":");
  while (parts.length < 3) parts.push("00");
  return parts.map((p) => p.padStart(2, "0")).join(":");
}

function channelSpec(c: Channel, source: string): Spec<"channels"> {
  const common = {
    id: c.id,
    baseUrl: c.baseUrl ?? null,
    groupWait: c.groupWait ?? null,
    groupInterval: c.groupInterval ?? null,
    rateLimitPerMinute: c.rateLimitPerMinute ?? null,
    source,
  };
  switch (c.type) {
    case "pagerduty":
      return { ...common, kind: "pagerduty", routingKey: { secret: c.routingKey.secret } };
    case "pagerdutyIncident":
      return {
        ...common,
        kind: "pagerdutyIncident",
        token: { secret: c.token.secret },
        from: c.from,
        service: typeof c.service === "string" ? c.service : c.service.id,
        urgency: c.urgency ?? "high",
      };
    case "opsgenie":
      return {
        ...common,
        kind: "opsgenie",
        apiKey: { secret: c.apiKey.secret },
        region: c.region ?? "us",
        responders: (c.responders ?? []).map((r) => ({ ...r })),
        tags: [...(c.tags ?? [])],
      };
    case "slack":
      return { ...common, kind: "slack", webhookUrl: { secret: c.webhookUrl.secret }, channel: c.channel ?? null };
    case "email":
      return {
        ...common,
        kind: "email",
        smtp: {
          host: c.smtp.host,
          port: c.smtp.port ?? (c.smtp.secure ? 465 : 587),
          secure: c.smtp.secure ?? false,
          user: c.smtp.user === undefined ? null : secretish(c.smtp.user),
          password: c.smtp.password ? { secret: c.smtp.password.secret } : null,
        },
        from: c.from,
        to: Array.isArray(c.to) ? [...c.to] : [c.to],
      };
    case "webhook":
      return {
        ...common,
        kind: "webhook",
        url: secretish(c.url),
        headers: secretishRecord(c.headers),
        hmacSecret: c.hmacSecret ? { secret: c.hmacSecret.secret } : null,
      };
  }
}

/** Hash of the functions a monitor carries, so a code change shows in the plan. */
function codeHash(m: Monitor, text: (fn: Function) => string): string {
  const parts = {
    condition: m.condition ? text(m.condition) : null,
    summary: typeof m.summary === "function" ? text(m.summary) : null,
    run: m.check.kind === "script" ? text(m.check.run) : null,
    extract: m.check.kind === "httpWindow" && typeof m.check.extract === "function" ? text(m.check.extract) : null,
  };
  return "sha256:" + createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

/** The functions a monitor carries, as monitors.mjs exports them under the monitor's id. */
export function monitorCode(m: Monitor): import("./result.js").MonitorCode {
  const code: import("./result.js").MonitorCode = {};
  if (m.condition) code.condition = m.condition;
  if (typeof m.summary === "function") code.summary = m.summary;
  if (m.check.kind === "script") code.run = m.check.run;
  if (m.check.kind === "httpWindow" && typeof m.check.extract === "function") code.extract = m.check.extract;
  return code;
}

/** `list` mapped, or, when it is not an array, as it is (for the schema to report). */
function keptUnlessList<T, U>(list: readonly T[], map: (item: T) => U): U[] {
  return Array.isArray(list) ? list.map(map) : (list as unknown as U[]);
}
