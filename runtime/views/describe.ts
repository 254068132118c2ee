import { durationMs } from "../../sdk/duration.js";
import type { Manifest, MonitorSpec, ScheduleSpec } from "../../sdk/manifest/schema.js";
import { renderSchedule } from "../../sdk/oncall/render.js";
import { redactUrl } from "../redact-url.js";

const UNITS: Array<[number, string]> = [
  [7 * 86_400_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1000, "second"],
];

/** "minute", "5 minutes", "90 seconds". */
export function durationWords(text: string): string {
  const ms = durationMs(text);
  for (const [size, unit] of UNITS) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return n === 1 ? unit : `${n} ${unit}s`;
    }
  }
  return text;
}

/** "every minute", "every 30 seconds", "on cron 0 9 * * 1-5 (Europe/Paris)". */
export function scheduleWords(s: ScheduleSpec): string {
  if (s.kind === "every") return `every ${durationWords(s.every)}`;
  return `on cron ${s.expression} (${s.timezone})`;
}

/** What the check does, in a sentence (URLs without credentials). */
export function checkWords(m: MonitorSpec): string {
  const c = m.check;
  switch (c.kind) {
    case "http": {
      const want: string[] = [];
      want.push(c.expect.status.length > 0 ? `status ${c.expect.status.join(" or ")}` : "a 2xx status");
      if (c.expect.maxLatency) want.push(`an answer within ${durationWords(c.expect.maxLatency)}`);
      if (c.expect.bodyContains !== null) want.push(`a body containing "${c.expect.bodyContains}"`);
      for (const j of c.expect.json) want.push(`JSON ${j.path}${j.equals !== undefined ? ` = ${JSON.stringify(j.equals)}` : j.threshold ? ` ${j.threshold.op} ${j.threshold.value}` : " present"}`);
      if (c.expect.tlsExpiryWithin) want.push(`a TLS certificate valid for more than ${durationWords(c.expect.tlsExpiryWithin)}`);
      if (c.expect.tlsMinKey) want.push(`a certificate key of at least RSA ${c.expect.tlsMinKey.rsa} or EC ${c.expect.tlsMinKey.ec} bits`);
      return `${c.method} ${redactUrl(c.url)} expecting ${want.join(", ")} (timeout ${durationWords(c.timeout)})`;
    }
    case "httpWindow":
      return `${c.method} ${redactUrl(c.url)} over the last ${durationWords(c.window)}${c.extract ? `, reading ${c.extract}` : ""}`;
    case "prometheus":
      return `PromQL ${c.query} on ${redactUrl(c.server)}, one alert per returned series`;
    case "dns":
      return `DNS ${c.recordType} ${c.name}${c.expectValues.length > 0 ? ` expecting ${c.expectValues.join(", ")}` : ""}${c.resolver ? ` via ${c.resolver}` : ""}`;
    case "tcp":
      return `TCP connect to ${c.host}:${c.port} (timeout ${durationWords(c.timeout)})`;
    case "heartbeat":
      return `expects a heartbeat ping every ${durationWords(c.every)} (grace ${durationWords(c.grace)}) at /heartbeat/${m.id}`;
    case "webhook":
      return `listens for ${c.format} webhooks at /webhooks/uptime/${m.id}`;
    case "script":
      return `runs its script (timeout ${durationWords(c.timeout)})`;
    case "manual":
      return `pages when someone presses the emergency page ("${c.title}")`;
  }
}

/** When it fails, and for how long before it pages. */
export function conditionWords(m: MonitorSpec): string {
  const parts: string[] = [];
  if (m.threshold) parts.push(`fails when the value is ${m.threshold.op} ${m.threshold.value}`);
  else if (m.code.condition) parts.push("fails when its condition function says so");
  else parts.push("fails when the check fails");
  if (m.failureThreshold > 1) parts.push(`${m.failureThreshold} times in a row`);
  parts.push(m.for === "0s" ? "and fires at once" : `and fires after failing for ${durationWords(m.for)}`);
  if (m.onError === "unknown") parts.push("(a check that errors leaves the alert as it is)");
  if (m.successThreshold > 1) parts.push(`; resolves after ${m.successThreshold} passing checks`);
  if (m.keepFiringFor !== "0s") parts.push(`; keeps firing ${durationWords(m.keepFiringFor)} after it clears`);
  if (m.repeatEvery) parts.push(`; reminds every ${durationWords(m.repeatEvery)} while firing`);
  return parts.join(" ").replace(" ;", ";");
}

/** Who gets paged: the service, its escalation policy step by step, the channels. */
export interface PagingPath {
  service: { id: string; name: string } | null;
  team: { id: string; name: string } | null;
  policy: { id: string; name: string; steps: string[] } | null;
  channels: string[];
  /** Who the first escalation step reaches at `at` (schedules rendered from the manifest). */
  onCallNow: string[];
}

export function pagingPath(manifest: Manifest, m: MonitorSpec, at: number | null = null): PagingPath {
  const service = m.service ? manifest.services.find((s) => s.id === m.service) ?? null : null;
  const policy = service ? manifest.escalationPolicies.find((p) => p.id === service.escalationPolicy) ?? null : null;
  const teamId = service?.team ?? m.owner;
  const team = teamId ? manifest.teams.find((t) => t.id === teamId) ?? null : null;
  const name = (type: "user" | "schedule", id: string) =>
    type === "user" ? manifest.users.find((u) => u.id === id)?.name ?? id : `schedule ${manifest.schedules.find((s) => s.id === id)?.name ?? id}`;
  return {
    service: service ? { id: service.id, name: service.name } : null,
    team: team ? { id: team.id, name: team.name } : teamId ? { id: teamId, name: teamId } : null,
    policy: policy
      ? {
          id: policy.id,
          name: policy.name,
          steps: policy.rules.map((r, i) => `${i === 0 ? "first" : `after ${durationWords(r.escalationDelay)}`}: ${r.targets.map((t) => name(t.type, t.id)).join(", ")}`),
        }
      : null,
    onCallNow:
      policy && at !== null
        ? (policy.rules[0]?.targets ?? []).flatMap((t) => {
            if (t.type === "user") return [name("user", t.id)];
            const schedule = manifest.schedules.find((s) => s.id === t.id);
            const shift = schedule ? renderSchedule(schedule, at, at + 1)[0] : undefined;
            return shift ? [`${name("user", shift.user)} (${schedule!.name})`] : [];
          })
        : [],
    channels: m.channels.map((id) => {
      const c = manifest.channels.find((x) => x.id === id);
      return c ? `${id} (${c.kind})` : id;
    }),
  };
}

/** The team a monitor belongs to, for grouping and the team filter. */
export function teamOf(manifest: Manifest, m: MonitorSpec): { id: string; name: string } | null {
  return pagingPath(manifest, m).team;
}
