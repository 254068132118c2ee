import type {
  ChannelSpec,
  EscalationPolicySpec,
  Manifest,
  MonitorSpec,
  OncallScheduleSpec,
  ScheduleLayerSpec,
  ServiceSpec,
  SilenceSpec,
  UserSpec,
} from "../../sdk/manifest/schema.js";

/**
 * Manifest parts written out by hand for the on-call resolver and `wk simulate` tests: the
 * tests then state expected times computed by hand, not by the code under test.
 */
export function userSpec(id: string, name: string): UserSpec {
  return { id, name, email: `${id}@example.com`, role: "user", timeZone: "Europe/Berlin", existing: false, source: "policies/people.ts:1" };
}

export function layerSpec(props: Partial<ScheduleLayerSpec> & Pick<ScheduleLayerSpec, "users" | "start">): ScheduleLayerSpec {
  return { name: "layer", end: null, rotationTurnLength: "1d", rotationVirtualStart: props.start, restrictions: [], ...props };
}

export function scheduleSpec(id: string, timeZone: string, layers: ScheduleLayerSpec[], teams: string[] = []): OncallScheduleSpec {
  return { id, name: id, description: null, timeZone, layers, teams, source: "policies/schedules.ts:1" };
}

export function policySpec(id: string, loops: number, rules: Array<[delay: string, targets: string[]]>): EscalationPolicySpec {
  return {
    id,
    name: id,
    description: null,
    loops,
    // "schedule:x" names a schedule, anything else a user.
    rules: rules.map(([delay, targets]) => ({
      escalationDelay: delay,
      targets: targets.map((t) => (t.startsWith("schedule:") ? { type: "schedule" as const, id: t.slice(9) } : { type: "user" as const, id: t })),
    })),
    teams: [],
    source: "policies/escalation.ts:1",
  };
}

export function serviceSpec(id: string, escalationPolicy: string, urgency: ServiceSpec["urgency"] = "high"): ServiceSpec {
  return {
    id,
    name: id,
    description: null,
    escalationPolicy,
    team: null,
    urgency,
    autoResolveTimeout: null,
    acknowledgementTimeout: null,
    alertGrouping: null,
    routingKey: null,
    source: "policies/services.ts:1",
  };
}

export function monitorSpec(props: Partial<MonitorSpec> & Pick<MonitorSpec, "id">): MonitorSpec {
  return {
    name: props.id,
    description: null,
    owner: null,
    schedule: { kind: "every", every: "1m" },
    check: { kind: "tcp", host: "db.internal", port: 5432, timeout: "5s" },
    threshold: null,
    for: "0s",
    keepFiringFor: "0s",
    failureThreshold: 1,
    successThreshold: 1,
    repeatEvery: null,
    onError: "fail",
    severity: "critical",
    service: null,
    channels: [],
    ackChannels: [],
    inhibits: [],
    labels: {},
    summary: "down",
    runbook: null,
    diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false },
    codeHash: "0",
    source: `monitors/${props.id}.ts:1`,
    ...props,
  };
}

export function slackSpec(id: string, channel: string): ChannelSpec {
  return { id, kind: "slack", webhookUrl: { secret: "SLACK_WEBHOOK" }, channel, baseUrl: null, groupWait: null, groupInterval: null, rateLimitPerMinute: null, source: "policies/channels.ts:1" };
}

export function manifestOf(parts: {
  users?: UserSpec[];
  schedules?: OncallScheduleSpec[];
  escalationPolicies?: EscalationPolicySpec[];
  services?: ServiceSpec[];
  monitors?: MonitorSpec[];
  channels?: ChannelSpec[];
  silences?: SilenceSpec[];
}): Omit<Manifest, "hash"> {
  return {
    apiVersion: "watchkeeper.dev/v1",
    kind: "Manifest",
    project: { name: "paging" },
    monitors: parts.monitors ?? [],
    services: parts.services ?? [],
    escalationPolicies: parts.escalationPolicies ?? [],
    schedules: parts.schedules ?? [],
    teams: [],
    users: parts.users ?? [],
    channels: parts.channels ?? [],
    silences: parts.silences ?? [],
    secrets: [],
    settings: { statusPage: { title: "status" }, publicUrl: null },
  };
}
