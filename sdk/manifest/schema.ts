import { z } from "zod";
import { API_VERSION, DEFAULT_RUNTIME_SETTINGS } from "./constants.js";

export { API_VERSION, DEFAULT_RUNTIME_SETTINGS, V1_RETENTION_FIELDS } from "./constants.js";

/**
 * The compiled manifest: the one contract between authoring (cli), provisioning (infra) and
 * running (runtime). Every declarative fact, never a secret value: secrets appear as `{ secret: NAME }`.
 */

const DURATION_RE = /^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/;
const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const durationSchema = z.string().regex(DURATION_RE, "expected a duration such as 90s, 5m or 4h");
/**
 * Ids are capped at 63 characters, as DNS labels and Kubernetes names are: an id becomes part of
 * dedup keys (PagerDuty allows 255), OpsGenie aliases, Pulumi resource names and URLs, and 63
 * leaves every one of them room to spare.
 */
export const ID_MAX = 63;
export const idSchema = z
  .string()
  .regex(ID_RE, "expected a kebab-case id such as payments-api")
  .max(ID_MAX, `ids are at most ${ID_MAX} characters (they become part of PagerDuty dedup keys and resource names)`);
export const secretRefSchema = z.object({ secret: z.string().min(1) }).strict();
/** A literal string or a secret reference. */
export const secretishSchema = z.union([z.string(), secretRefSchema]);
export const labelsSchema = z.record(z.string(), z.string());
/**
 * Ids a definition had before a rename. Optional and omitted when empty, like every field added
 * after v1 shipped, so manifests compiled before it load and keep their content hash.
 */
export const previousIdsSchema = z.array(idSchema).min(1).optional();
/** The PagerDuty id of an existing object to adopt (import) instead of creating one. */
export const pagerdutyIdSchema = z.string().min(1).optional();

export const severitySchema = z.enum(["critical", "error", "warning", "info"]);

export const scheduleSpecSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("cron"),
    /** 5-field, 6-field (seconds first) or Quartz-style (`?`) cron expression. */
    expression: z.string().min(1),
    timezone: z.string().min(1),
  }),
  z.object({ kind: z.literal("every"), every: durationSchema }),
]);

export const thresholdSchema = z.object({
  op: z.enum([">", ">=", "<", "<=", "==", "!="]),
  value: z.number(),
});

const jsonAssertionSchema = z.object({
  /** Dotted path into the JSON body: `data.status`, `items.0.id`, `count`. */
  path: z.string().min(1),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  threshold: thresholdSchema.optional(),
  exists: z.boolean().optional(),
});

const httpCheckSchema = z.object({
  kind: z.literal("http"),
  url: z.string().min(1),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
  headers: z.record(z.string(), secretishSchema),
  body: z.string().nullable(),
  timeout: durationSchema,
  followRedirects: z.boolean(),
  expect: z.object({
    /** Accepted status codes; empty means any 2xx. */
    status: z.array(z.number().int()),
    maxLatency: durationSchema.nullable(),
    headers: z.record(z.string(), z.string()),
    json: z.array(jsonAssertionSchema),
    bodyContains: z.string().nullable(),
    /** Fail when the TLS certificate expires within this duration. */
    tlsExpiryWithin: durationSchema.nullable(),
  }),
});

const httpWindowCheckSchema = z.object({
  kind: z.literal("httpWindow"),
  /** URL template; `{{from}}` and `{{to}}` are replaced with the window bounds. */
  url: z.string().min(1),
  method: z.enum(["GET", "POST", "PUT"]),
  headers: z.record(z.string(), secretishSchema),
  /** Body template with the same placeholders. */
  body: z.string().nullable(),
  /** Length of the sliding window ending at the tick's time (`from = now - window, to = now`). */
  window: durationSchema,
  timeFormat: z.enum(["iso", "epoch-ms", "epoch-s"]),
  /** Dotted path of the value to extract from the JSON response; null when the monitor extracts in code. */
  extract: z.string().nullable(),
  timeout: durationSchema,
});

const prometheusCheckSchema = z.object({
  kind: z.literal("prometheus"),
  /** Base URL of the Prometheus server, e.g. http://prometheus:9090 */
  server: z.string().min(1),
  query: z.string().min(1),
  headers: z.record(z.string(), secretishSchema),
  timeout: durationSchema,
});

const dnsCheckSchema = z.object({
  kind: z.literal("dns"),
  name: z.string().min(1),
  recordType: z.enum(["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "SOA", "CAA", "PTR"]),
  /** Resolver to ask, `host` or `host:port`; null uses the system resolver. */
  resolver: z.string().nullable(),
  /** Values that must all be present in the answer. */
  expectValues: z.array(z.string()),
  /** Nameservers (`host` or `host:port`) that must each answer authoritatively for `name`. */
  nameservers: z.array(z.string()),
  timeout: durationSchema,
});

const tcpCheckSchema = z.object({
  kind: z.literal("tcp"),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  timeout: durationSchema,
});

const heartbeatCheckSchema = z.object({
  kind: z.literal("heartbeat"),
  /** A ping is expected at least this often (`POST /heartbeat/:monitorId`). */
  every: durationSchema,
  grace: durationSchema,
  token: secretRefSchema.nullable(),
});

const webhookCheckSchema = z.object({
  kind: z.literal("webhook"),
  /** Payload shape of the uptime service posting to `/webhooks/uptime/:monitorId`. */
  format: z.enum(["nodeping", "generic"]),
  token: secretRefSchema,
});

const scriptCheckSchema = z.object({
  kind: z.literal("script"),
  timeout: durationSchema,
});

const manualCheckSchema = z.object({
  kind: z.literal("manual"),
  /** Password that the emergency page asks for. */
  password: secretRefSchema,
  title: z.string(),
});

export const checkSpecSchema = z.discriminatedUnion("kind", [
  httpCheckSchema,
  httpWindowCheckSchema,
  prometheusCheckSchema,
  dnsCheckSchema,
  tcpCheckSchema,
  heartbeatCheckSchema,
  webhookCheckSchema,
  scriptCheckSchema,
  manualCheckSchema,
]);

export const diagnosticSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dns"), name: z.string(), recordType: z.string(), resolver: z.string().nullable() }),
  z.object({ kind: z.literal("httpSweep"), urls: z.array(z.string()), timeout: durationSchema }),
  z.object({ kind: z.literal("hostLoad"), loadavgFile: z.string(), meminfoFile: z.string() }),
]);

export const monitorSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  name: z.string(),
  description: z.string().nullable(),
  owner: z.string().nullable(),
  schedule: scheduleSpecSchema,
  check: checkSpecSchema,
  threshold: thresholdSchema.nullable(),
  for: durationSchema,
  keepFiringFor: durationSchema,
  failureThreshold: z.number().int().min(1),
  successThreshold: z.number().int().min(1),
  repeatEvery: durationSchema.nullable(),
  /** What a check that errors (throws, times out, returns garbage) counts as. */
  onError: z.enum(["fail", "unknown"]),
  severity: severitySchema,
  service: idSchema.nullable(),
  channels: z.array(idSchema),
  /** Channels told when the alert is acknowledged (e.g. a customer's email). */
  ackChannels: z.array(idSchema),
  /** Monitors muted while this one fires. */
  inhibits: z.array(idSchema),
  labels: labelsSchema,
  summary: z.string(),
  runbook: z.string().nullable(),
  diagnostics: z.array(diagnosticSpecSchema),
  /** Where the check runs from (scale-out replicas' `--location`); absent: anywhere, once per tick. */
  locations: z.array(idSchema).min(1).optional(),
  /** How many locations must see a label set failing in the same tick for it to fail (default: all). */
  quorum: z.number().int().min(1).optional(),
  /** Which functions the bundle exports for this monitor. */
  code: z.object({
    condition: z.boolean(),
    summary: z.boolean(),
    run: z.boolean(),
    extract: z.boolean(),
  }),
  /** Hash of the code the monitor carries, so a code change shows in the plan. */
  codeHash: z.string(),
  source: z.string(),
});

const restrictionSchema = z.object({
  type: z.enum(["daily_restriction", "weekly_restriction"]),
  /** `HH:MM:SS` in the schedule's time zone. */
  startTimeOfDay: z.string().regex(/^\d{2}:\d{2}:\d{2}$/),
  duration: durationSchema,
  /** 1 = Monday .. 7 = Sunday; weekly restrictions only. */
  startDayOfWeek: z.number().int().min(1).max(7).nullable(),
});

export const scheduleLayerSchema = z.object({
  name: z.string(),
  /** ISO 8601 date-time when the layer takes effect. */
  start: z.string(),
  end: z.string().nullable(),
  rotationTurnLength: durationSchema,
  /** ISO 8601 date-time of a hand-off; turns are counted from it. */
  rotationVirtualStart: z.string(),
  users: z.array(idSchema).min(1),
  restrictions: z.array(restrictionSchema),
});

export const oncallScheduleSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  pagerdutyId: pagerdutyIdSchema,
  name: z.string(),
  description: z.string().nullable(),
  timeZone: z.string(),
  layers: z.array(scheduleLayerSchema).min(1),
  teams: z.array(idSchema),
  source: z.string(),
});

export const escalationTargetSchema = z.object({
  type: z.enum(["user", "schedule"]),
  id: idSchema,
});

export const escalationPolicySpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  pagerdutyId: pagerdutyIdSchema,
  name: z.string(),
  description: z.string().nullable(),
  /** How many times the whole policy repeats when nobody acknowledges (PagerDuty num_loops). */
  loops: z.number().int(),
  rules: z.array(
    z.object({
      escalationDelay: durationSchema,
      targets: z.array(escalationTargetSchema),
    }),
  ),
  teams: z.array(idSchema),
  source: z.string(),
});

export const serviceSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  pagerdutyId: pagerdutyIdSchema,
  name: z.string(),
  description: z.string().nullable(),
  escalationPolicy: idSchema,
  team: idSchema.nullable(),
  urgency: z.enum(["high", "low", "severity_based"]),
  autoResolveTimeout: durationSchema.nullable(),
  acknowledgementTimeout: durationSchema.nullable(),
  alertGrouping: z
    .object({ type: z.enum(["time", "intelligent", "content_based"]), timeout: durationSchema.nullable() })
    .nullable(),
  /** Secret holding the Events API v2 routing key; null means the key provisioned by `wk deploy`. */
  routingKey: secretRefSchema.nullable(),
  source: z.string(),
});

export const teamSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  pagerdutyId: pagerdutyIdSchema,
  name: z.string(),
  description: z.string().nullable(),
  members: z.array(z.object({ user: idSchema, role: z.enum(["manager", "responder", "observer"]) })),
  source: z.string(),
});

export const contactMethodSpecSchema = z.object({
  id: idSchema,
  type: z.enum(["email", "phone", "sms", "push"]),
  /** Email address, phone number without the country code, or push device address. */
  address: z.string().min(1),
  /** Calling code for phone and SMS (1 to 3 digits); null otherwise. */
  countryCode: z.number().int().nullable(),
  label: z.string(),
  sendShortEmail: z.boolean(),
});

export const notificationRuleSpecSchema = z.object({
  /** Id of one of the same user's contact methods. */
  contactMethod: idSchema,
  urgency: z.enum(["high", "low"]),
  startDelayInMinutes: z.number().int().min(0),
});

export const userSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  name: z.string(),
  email: z.string(),
  role: z.enum(["admin", "limited_user", "observer", "owner", "read_only_user", "restricted_access", "user"]),
  timeZone: z.string().nullable(),
  /** The user already exists in PagerDuty and is looked up by email instead of created. */
  existing: z.boolean(),
  /** Present when the project manages the user's contact methods as code (absent: managed in PagerDuty). */
  contactMethods: z.array(contactMethodSpecSchema).optional(),
  notificationRules: z.array(notificationRuleSpecSchema).optional(),
  source: z.string(),
});

const channelCommon = {
  id: idSchema,
  /** Base URL override (EU regions, proxies, recording servers in tests); null means the vendor default. */
  baseUrl: z.string().nullable(),
  groupWait: durationSchema.nullable(),
  groupInterval: durationSchema.nullable(),
  /** Sends per minute to this destination; null means the vendor's documented limit. */
  rateLimitPerMinute: z.number().int().positive().nullable(),
  source: z.string(),
};

export const channelSpecSchema = z.discriminatedUnion("kind", [
  z.object({ ...channelCommon, kind: z.literal("pagerduty"), routingKey: secretRefSchema }),
  z.object({
    ...channelCommon,
    kind: z.literal("pagerdutyIncident"),
    token: secretRefSchema,
    from: z.string(),
    /** PagerDuty service the incident opens on: a manifest service id, or a PagerDuty service ID as a literal. */
    service: z.string(),
    urgency: z.enum(["high", "low"]),
  }),
  z.object({
    ...channelCommon,
    kind: z.literal("opsgenie"),
    apiKey: secretRefSchema,
    region: z.enum(["us", "eu"]),
    responders: z.array(z.object({ type: z.enum(["team", "user", "escalation", "schedule"]), name: z.string() })),
    tags: z.array(z.string()),
  }),
  z.object({ ...channelCommon, kind: z.literal("slack"), webhookUrl: secretRefSchema, channel: z.string().nullable() }),
  z.object({
    ...channelCommon,
    kind: z.literal("email"),
    smtp: z.object({
      host: z.string(),
      port: z.number().int(),
      secure: z.boolean(),
      user: secretishSchema.nullable(),
      password: secretRefSchema.nullable(),
    }),
    from: z.string(),
    to: z.array(z.string()).min(1),
  }),
  z.object({
    ...channelCommon,
    kind: z.literal("webhook"),
    url: secretishSchema,
    headers: z.record(z.string(), secretishSchema),
    /** When set, the body is signed with HMAC-SHA256 in `X-Watchkeeper-Signature: sha256=<hex>`. */
    hmacSecret: secretRefSchema.nullable(),
  }),
]);

export const silenceSpecSchema = z.object({
  id: idSchema,
  kind: z.enum(["silence", "maintenance"]),
  start: z.string(),
  end: z.string(),
  comment: z.string(),
  matchers: z.object({
    monitors: z.array(idSchema),
    services: z.array(idSchema),
    labels: labelsSchema,
  }),
  source: z.string(),
});

/** A public status page: named groups of monitor ids (`statusPage()` in a project module). */
export const statusPageSpecSchema = z.object({
  id: idSchema,
  title: z.string(),
  description: z.string().nullable(),
  groups: z.array(z.object({ name: z.string().min(1), monitors: z.array(z.string()) })),
  source: z.string(),
});

/** What the runtime keeps, and for how long; every table it writes has a retention. */
export const retentionSchema = z.object({
  /** Check results (beyond the most recent ones per monitor, which are always kept). */
  results: durationSchema,
  /** Dispatched outbox rows, finished deliveries and the notification log. */
  notifications: durationSchema,
  /** Silences and maintenance windows, counted from when they ended. */
  silences: durationSchema,
  /** Inbound webhook ids and other replay-protection records. */
  inbound: durationSchema,
  /** Resolved alerts, counted from when they resolved; also alert timelines (transitions). */
  resolvedAlerts: durationSchema,
  /** Per-hour result rollups (count, failures, errors, latency percentiles). Absent: 90d. */
  rollups: durationSchema.optional(),
  /** Per-minute result rollups. Absent: 7d (a minute bucket per monitor per minute adds up fast). */
  minuteRollups: durationSchema.optional(),
});

export const runtimeSettingsSchema = z.object({
  /** Serve the detail API and internal views without the API token. */
  openReads: z.boolean(),
  /** Longest silence the API accepts. */
  maxSilence: durationSchema,
  /** PagerDuty webhook events older than this (from `occurred_at`) are refused. */
  webhookMaxAge: durationSchema,
  retention: retentionSchema,
});

export const manifestSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Manifest"),
  project: z.object({ name: z.string() }),
  /** sha256 of the manifest's canonical JSON without this field. */
  hash: z.string(),
  monitors: z.array(monitorSpecSchema),
  services: z.array(serviceSpecSchema),
  escalationPolicies: z.array(escalationPolicySpecSchema),
  schedules: z.array(oncallScheduleSpecSchema),
  teams: z.array(teamSpecSchema),
  users: z.array(userSpecSchema),
  channels: z.array(channelSpecSchema),
  silences: z.array(silenceSpecSchema),
  /** Public status pages; absent in manifests compiled before they existed, and when a project has none. */
  statusPages: z.array(statusPageSpecSchema).optional(),
  /** Names of the secrets the project declares; never values. */
  secrets: z.array(z.string()),
  settings: z.object({
    statusPage: z.object({ title: z.string() }),
    /** Public URL of the runtime, used for links and the PagerDuty webhook subscription. */
    publicUrl: z.string().nullable(),
    /** Runtime safety settings; absent in manifests compiled before they existed (defaults apply). */
    runtime: runtimeSettingsSchema.optional(),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type MonitorSpec = z.infer<typeof monitorSpecSchema>;
export type CheckSpec = z.infer<typeof checkSpecSchema>;
export type CheckKind = CheckSpec["kind"];
export type CheckSpecOf<K extends CheckKind> = Extract<CheckSpec, { kind: K }>;
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;
export type Threshold = z.infer<typeof thresholdSchema>;
export type DiagnosticSpec = z.infer<typeof diagnosticSpecSchema>;
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;
export type EscalationPolicySpec = z.infer<typeof escalationPolicySpecSchema>;
export type OncallScheduleSpec = z.infer<typeof oncallScheduleSpecSchema>;
export type ScheduleLayerSpec = z.infer<typeof scheduleLayerSchema>;
export type TeamSpec = z.infer<typeof teamSpecSchema>;
export type UserSpec = z.infer<typeof userSpecSchema>;
export type ContactMethodSpec = z.infer<typeof contactMethodSpecSchema>;
export type NotificationRuleSpec = z.infer<typeof notificationRuleSpecSchema>;
export type ChannelSpec = z.infer<typeof channelSpecSchema>;
export type ChannelKind = ChannelSpec["kind"];
export type SilenceSpec = z.infer<typeof silenceSpecSchema>;
export type StatusPageSpec = z.infer<typeof statusPageSpecSchema>;
export type Severity = z.infer<typeof severitySchema>;
export type SecretRefSpec = z.infer<typeof secretRefSchema>;
export type RuntimeSettings = z.infer<typeof runtimeSettingsSchema>;
export type Retention = z.infer<typeof retentionSchema>;

/** The manifest's runtime settings with defaults filled in (older manifests carry none). */
export function runtimeSettingsOf(manifest: { settings: { runtime?: RuntimeSettings | undefined } }): RuntimeSettings {
  return manifest.settings.runtime ?? DEFAULT_RUNTIME_SETTINGS;
}
