import { posix } from "node:path";
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { reservedSecretProblem } from "../reserved-secrets.js";
import { isValidSecretName, SECRET_NAME_MAX } from "../secret.js";
import { publicUrlProblem, webUrlProblem } from "../web-url.js";
import { API_VERSION, DEFAULT_RUNTIME_SETTINGS } from "./constants.js";

export { API_VERSION, DEFAULT_RUNTIME_SETTINGS, V1_RETENTION_FIELDS } from "./constants.js";

/**
 * The compiled manifest: the one contract between authoring (cli), provisioning (infra) and
 * running (runtime). Every declarative fact, never a secret value: secrets appear as `{ secret: NAME }`.
 */

const DURATION_RE = /^\d+(?:\.\d+)?(ms|s|m|h|d|w)$/;
const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Whether the limits of this schema apply to the parse in progress. They came after manifests
 * were deployed: a compile and a runtime's start enforce them, but reading what a stack already
 * has deployed (the base of a plan or a deploy) must not refuse a manifest that only breaks a
 * limit, or the deploy that fixes it could never run. Parses are synchronous, so the switch is
 * only ever off inside `withoutLimits`.
 *
 * `compiledBefore` is the same idea for a runtime's start: a rule added after artifacts were
 * compiled and deployed (monitor label names) is held by every compile, but an artifact that an
 * older compiler wrote still starts, so an image upgrade never stops the process that pages people.
 * The runtime parses inside `asDeployedArtifact` and warns about what such a rule would refuse.
 */
const limits = { enforced: true, compiledBefore: false };

/** Runs a parse of this schema with the limits off (see `limits`). */
export function withoutLimits<T>(parse: () => T): T {
  limits.enforced = false;
  try {
    return parse();
  } finally {
    limits.enforced = true;
  }
}

/**
 * Runs a parse of this schema as a runtime's start reads its artifact: the limits hold, except the
 * rules added after artifacts were deployed (see `limits`), which the caller reports as warnings.
 */
export function asDeployedArtifact<T>(parse: () => T): T {
  limits.compiledBefore = true;
  try {
    return parse();
  } finally {
    limits.compiledBefore = false;
  }
}

/** A check that holds whenever the limits are off. */
const within =
  <T>(holds: (value: T) => boolean) =>
  (value: T): boolean =>
    !limits.enforced || holds(value);

/**
 * The longest duration: ten years, beyond any retention or rotation, and finite: `1e400s` has the
 * shape of a duration but is Infinity milliseconds, which the scheduler and the retention math
 * cannot place in time.
 */
export const DURATION_MAX_MS = 3650 * 86_400_000;
/** Shows a user's text in a message: quoted, and cut when long. */
const quoted = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);

export const durationSchema = z
  .string()
  .regex(DURATION_RE, "expected a duration such as 90s, 5m or 4h")
  .refine(within((text: string) => !DURATION_RE.test(text) || (parseDuration(text) ?? Infinity) <= DURATION_MAX_MS), "durations are at most 3650d (ten years)");
/**
 * The longest check timeout: a day. The runtime's deadline timers hold at most 2^31-1 ms (24.8
 * days); Node fires a longer one after 1 ms, so every check would time out at once. A hanging
 * target is also reported only when its check times out, so a day is already far too long.
 */
export const CHECK_TIMEOUT_MAX_MS = 86_400_000;
const checkTimeoutSchema = durationSchema.refine(
  within((text: string) => (parseDuration(text) ?? 0) <= CHECK_TIMEOUT_MAX_MS),
  "a check timeout is at most 1d: the check is reported failing only when it times out",
);
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
/** A secret's name: the environment variable (or the file in the secrets folder) that holds it. */
export const secretNameSchema = z.string().superRefine((name, ctx) => {
  if (limits.enforced && !isValidSecretName(name)) {
    ctx.addIssue({ code: "custom", message: `${quoted(name)} is not a secret name: expected an environment variable name in UPPER_SNAKE_CASE, at most ${SECRET_NAME_MAX} characters, such as PAGERDUTY_ROUTING_PAYMENTS` });
  }
});
/**
 * A reference never names the runtime's own secrets or the variables it is configured by: a
 * manifest edited by hand could otherwise send the runtime's API token to any check target.
 */
export const secretRefSchema = z
  .object({
    secret: secretNameSchema.superRefine((name, ctx) => {
      const problem = limits.enforced ? reservedSecretProblem(name) : null;
      if (problem) ctx.addIssue({ code: "custom", message: `the secret ${name} cannot be used: ${problem}` });
    }),
  })
  .strict();
/** A literal string or a secret reference. */
export const secretishSchema = z.union([z.string(), secretRefSchema]);
/**
 * C0 and C1 control characters and the Unicode bidirectional overrides and isolates: in a
 * one-line name they break the line a notification or the plan shows, or make it read backwards
 * ("Trojan Source"), so a name that pages someone could say something else than it does.
 */
const INVISIBLE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const PRINTABLE_MESSAGE = "holds a control character or a bidirectional override (U+202A-U+202E, U+2066-U+2069); write the name as plain text";
/** The longest name: PagerDuty's limit for the names of services, policies, schedules and teams. */
export const NAME_MAX = 255;
/** A one-line name a person reads in a page, on the status page and in the plan. */
export const displayNameSchema = z
  .string()
  .refine(within((text: string) => text.length <= NAME_MAX), `names are at most ${NAME_MAX} characters`)
  .refine(within((text: string) => !INVISIBLE_CONTROLS.test(text)), PRINTABLE_MESSAGE);

/**
 * A map the user names the keys of (labels, headers), without a `__proto__` key. JSON.parse keeps
 * one as a key, and the compiler wrote it; zod's record parse drops it without a word (assigning it
 * would set the prototype), so the runtime's copy lost the entry and refused the compiled manifest
 * as edited by hand. The value passes through unchanged.
 */
const withoutProtoKey = <T extends z.ZodType>(map: T) =>
  z.preprocess((value, ctx) => {
    if (value !== null && typeof value === "object" && Object.prototype.hasOwnProperty.call(value, "__proto__")) {
      ctx.addIssue({ code: "custom", path: ["__proto__"], message: "__proto__ cannot be a name here; choose another", input: value });
    }
    return value;
  }, map);

/** Limits on labels: every notification carries them, and they become PagerDuty details and OpsGenie details. */
export const LABELS_MAX = 64;
export const LABEL_NAME_MAX = 128;
export const LABEL_VALUE_MAX = 1024;
export const labelsSchema = withoutProtoKey(z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  if (!limits.enforced) return;
  const names = Object.keys(labels);
  if (names.length > LABELS_MAX) ctx.addIssue({ code: "custom", message: `at most ${LABELS_MAX} labels, got ${names.length}` });
  for (const name of names) {
    if (name.length === 0 || name.length > LABEL_NAME_MAX) ctx.addIssue({ code: "custom", path: [name], message: `a label name is 1 to ${LABEL_NAME_MAX} characters` });
    else if (INVISIBLE_CONTROLS.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `the label name ${PRINTABLE_MESSAGE.replace("write the name", "write it")}` });
    if (labels[name]!.length > LABEL_VALUE_MAX) ctx.addIssue({ code: "custom", path: [name], message: `a label value is at most ${LABEL_VALUE_MAX} characters` });
  }
}));

/**
 * A monitor's label names follow Prometheus' rule: letters, digits and underscores, not starting
 * with a digit, and not starting with `__` (reserved for internal use, as in Prometheus). Its
 * alerts carry them beside the labels of PromQL series, which always follow it, and a summary
 * reaches them only as `{{labels.<name>}}`. Silence matchers are not held to it: they may also
 * match the labels a script check returns, which are whatever the script says.
 */
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether a monitor's labels may hold this name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`. */
export function isMonitorLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name) && !name.startsWith("__");
}

export const monitorLabelsSchema = labelsSchema.superRefine((labels, ctx) => {
  // Older compilers allowed these names: a runtime warns about them (`refusedMonitorLabels`).
  if (!limits.enforced || limits.compiledBefore) return;
  for (const name of Object.keys(labels)) {
    // The length and control characters are labelsSchema's to report.
    if (name.length === 0 || name.length > LABEL_NAME_MAX || INVISIBLE_CONTROLS.test(name)) continue;
    if (!LABEL_NAME_RE.test(name)) {
      ctx.addIssue({ code: "custom", path: [name], message: `${quoted(name)} is not a label name: label names are letters, digits and underscores, not starting with a digit ([a-zA-Z_][a-zA-Z0-9_]*, Prometheus' rule)` });
    } else if (name.startsWith("__")) {
      ctx.addIssue({ code: "custom", path: [name], message: `${quoted(name)} is not a label name: names starting with "__" are reserved (Prometheus' rule)` });
    }
  }
});

/** The monitors whose labels hold names the compiler now refuses, with those names (an artifact an older compiler wrote). */
export function refusedMonitorLabels(monitors: readonly { id: string; labels: Record<string, string> }[]): { monitorId: string; names: string[] }[] {
  return monitors.flatMap((m) => {
    const names = Object.keys(m.labels).filter((name) => !isMonitorLabelName(name));
    return names.length > 0 ? [{ monitorId: m.id, names }] : [];
  });
}

/**
 * Request headers the runtime sends: names are HTTP tokens (RFC 9110), literal values have no line
 * breaks, and none is one undici refuses to send. Each of these otherwise compiled clean and then
 * failed as an "invalid header" config error on every tick or every delivery.
 */
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const UNSENDABLE_HEADERS = ["transfer-encoding", "keep-alive", "upgrade", "expect"];
export const HEADERS_MAX = 64;
export const HEADER_VALUE_MAX = 8192;
export const requestHeadersSchema = withoutProtoKey(z.record(z.string(), secretishSchema).superRefine((headers, ctx) => {
  if (!limits.enforced) return;
  const names = Object.keys(headers);
  if (names.length > HEADERS_MAX) ctx.addIssue({ code: "custom", message: `at most ${HEADERS_MAX} headers, got ${names.length}` });
  for (const name of names) {
    const shown = quoted(name);
    if (!HEADER_NAME_RE.test(name) || name.length > 256) {
      ctx.addIssue({ code: "custom", path: [name], message: `${shown} is not a header name: letters, digits and !#$%&'*+-.^_\`|~ only, no spaces or colons, at most 256` });
    } else if (UNSENDABLE_HEADERS.includes(name.toLowerCase())) {
      ctx.addIssue({ code: "custom", path: [name], message: `the ${name} header is managed by the HTTP client and cannot be set` });
    }
    const value = headers[name];
    if (typeof value === "string" && (/[\r\n\0]/.test(value) || value.length > HEADER_VALUE_MAX)) {
      ctx.addIssue({ code: "custom", path: [name], message: `a header value is one line of at most ${HEADER_VALUE_MAX} characters` });
    }
  }
}));
/**
 * Ids a definition had before a rename. Optional and omitted when empty, like every field added
 * after v1 shipped, so manifests compiled before it load and keep their content hash.
 */
export const previousIdsSchema = z.array(idSchema).min(1).optional();
/** The PagerDuty id of an existing object to adopt (import) instead of creating one. */
export const pagerdutyIdSchema = z.string().min(1).optional();

/**
 * A URL the runtime fetches: absolute http(s), any host (see web-url.ts). `fill` turns a template
 * into the URL it stands for, so placeholders are checked as the values they become.
 */
const fetchedUrlSchema = (fill: (text: string) => string = (text) => text) =>
  z
    .string()
    .min(1)
    .superRefine((text, ctx) => refineFetchedUrl(fill(text), text, ctx));
function refineFetchedUrl(url: string, written: string, ctx: z.RefinementCtx): void {
  const problem = limits.enforced ? webUrlProblem(url) : null;
  if (problem) ctx.addIssue({ code: "custom", message: `${quoted(written)} cannot be fetched: ${problem}; write the full address, such as "https://api.example.com/health"` });
}
const windowBounds = (text: string) => text.replace(/\{\{\s*(?:from|to)\s*\}\}/g, "0");

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

const tlsMinKeySchema = z.object({
  rsa: z.number().int().min(0),
  ec: z.number().int().min(0),
}).strict();

const httpCheckSchema = z.object({
  kind: z.literal("http"),
  url: fetchedUrlSchema(),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
  headers: requestHeadersSchema,
  body: z.string().nullable(),
  timeout: checkTimeoutSchema,
  followRedirects: z.boolean(),
  expect: z.object({
    /** Accepted status codes; empty means any 2xx. */
    status: z.array(z.number().int()),
    maxLatency: durationSchema.nullable(),
    headers: withoutProtoKey(z.record(z.string(), z.string())),
    json: z.array(jsonAssertionSchema),
    bodyContains: z.string().nullable(),
    /** Fail when the TLS certificate expires within this duration. */
    tlsExpiryWithin: durationSchema.nullable(),
    /**
     * Smallest certificate key accepted, in bits (a DSA key always fails); `false` accepts any key.
     * Written only when the monitor sets it: absent, the runtime judges the key against
     * DEFAULT_TLS_MIN_KEY whenever it reads the certificate.
     */
    tlsMinKey: z.union([tlsMinKeySchema, z.literal(false)]).optional(),
  }),
});

const httpWindowCheckSchema = z.object({
  kind: z.literal("httpWindow"),
  /** URL template; `{{from}}` and `{{to}}` are replaced with the window bounds. */
  url: fetchedUrlSchema(windowBounds),
  method: z.enum(["GET", "POST", "PUT"]),
  headers: requestHeadersSchema,
  /** Body template with the same placeholders. */
  body: z.string().nullable(),
  /** Length of the sliding window ending at the tick's time (`from = now - window, to = now`). */
  window: durationSchema,
  timeFormat: z.enum(["iso", "epoch-ms", "epoch-s"]),
  /** Dotted path of the value to extract from the JSON response; null when the monitor extracts in code. */
  extract: z.string().nullable(),
  timeout: checkTimeoutSchema,
});

const prometheusCheckSchema = z.object({
  kind: z.literal("prometheus"),
  /** Base URL of the Prometheus server, e.g. http://prometheus:9090 */
  server: fetchedUrlSchema(),
  query: z.string().min(1),
  headers: requestHeadersSchema,
  timeout: checkTimeoutSchema,
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
  timeout: checkTimeoutSchema,
});

const tcpCheckSchema = z.object({
  kind: z.literal("tcp"),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  timeout: checkTimeoutSchema,
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
  timeout: checkTimeoutSchema,
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

/**
 * A file the runtime reads when an alert fires (`/proc/loadavg` or a mounted copy): an absolute
 * path, never a device. The runtime reads the file whole, and `/dev/zero` never ends: reading it
 * took 600 MB before failing, on every alert.
 */
const hostFileSchema = z.string().superRefine((file, ctx) => {
  if (!limits.enforced) return;
  const normalized = posix.normalize(file);
  if (!file.startsWith("/") || file.includes("\0")) ctx.addIssue({ code: "custom", message: `${quoted(file)} is not an absolute path such as "/proc/loadavg"` });
  else if (normalized === "/dev" || normalized.startsWith("/dev/")) ctx.addIssue({ code: "custom", message: `${quoted(file)} is a device, not a loadavg or meminfo file; give "/proc/loadavg", "/proc/meminfo" or a mounted copy` });
});

/** Diagnostics run on every alert that fires: a few, each with a few URLs. */
export const DIAGNOSTICS_MAX = 10;
export const SWEEP_URLS_MAX = 20;

export const diagnosticSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dns"), name: z.string(), recordType: z.string(), resolver: z.string().nullable() }),
  z.object({ kind: z.literal("httpSweep"), urls: z.array(fetchedUrlSchema()).refine(within((urls: string[]) => urls.length <= SWEEP_URLS_MAX), `an HTTP sweep gets at most ${SWEEP_URLS_MAX} URLs`), timeout: checkTimeoutSchema }),
  z.object({ kind: z.literal("hostLoad"), loadavgFile: hostFileSchema, meminfoFile: hostFileSchema }),
]);

/** The largest failure or success threshold (consecutive evaluations). */
export const EVALUATIONS_MAX = 10_000;

export const monitorSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  name: displayNameSchema,
  description: z.string().nullable(),
  owner: z.string().nullable(),
  schedule: scheduleSpecSchema,
  check: checkSpecSchema,
  threshold: thresholdSchema.nullable(),
  for: durationSchema,
  keepFiringFor: durationSchema,
  /** At most 10,000: past that a monitor never fires (or never resolves) in any useful time. */
  failureThreshold: z.number().int().min(1).refine(within((n: number) => n <= EVALUATIONS_MAX), `at most ${EVALUATIONS_MAX} consecutive evaluations; a larger count means the alert never fires or never resolves`),
  successThreshold: z.number().int().min(1).refine(within((n: number) => n <= EVALUATIONS_MAX), `at most ${EVALUATIONS_MAX} consecutive evaluations; a larger count means the alert never fires or never resolves`),
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
  labels: monitorLabelsSchema,
  summary: z.string(),
  runbook: z.string().nullable(),
  diagnostics: z.array(diagnosticSpecSchema).refine(within((list: unknown[]) => list.length <= DIAGNOSTICS_MAX), `at most ${DIAGNOSTICS_MAX} diagnostics per monitor: they all run on every alert that fires`),
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
  name: displayNameSchema,
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
  name: displayNameSchema,
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
  name: displayNameSchema,
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
  name: displayNameSchema,
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
  name: displayNameSchema,
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
  /** PagerDuty counts the delay in whole minutes. */
  startDelayInMinutes: z.number().int("startDelay is whole minutes, as PagerDuty counts it (\"2m\", not \"90s\")").min(0),
});

export const userSpecSchema = z.object({
  id: idSchema,
  previousIds: previousIdsSchema,
  name: displayNameSchema,
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
  baseUrl: fetchedUrlSchema().nullable(),
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
    /** OpsGenie's limits (docs.opsgenie.com, Create Alert): past them the runtime would drop responders and cut tags, without a word. */
    responders: z
      .array(z.object({ type: z.enum(["team", "user", "escalation", "schedule"]), name: z.string().refine(within((name: string) => name.trim() !== "" && name.length <= NAME_MAX), "a responder needs a name of at most 255 characters") }))
      .refine(within((list: unknown[]) => list.length <= 50), "OpsGenie takes at most 50 responders per alert"),
    tags: z
      .array(z.string().refine(within((tag: string) => tag.length >= 1 && tag.length <= 50), "OpsGenie tags are 1 to at most 50 characters"))
      .refine(within((list: unknown[]) => list.length <= 20), "OpsGenie takes at most 20 tags per alert"),
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
    /** A literal URL is checked here; a secret's is checked when it is sent. */
    url: secretishSchema.superRefine((url, ctx) => {
      if (typeof url === "string") refineFetchedUrl(url, url, ctx);
    }),
    headers: requestHeadersSchema,
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
  title: displayNameSchema,
  description: z.string().nullable(),
  groups: z.array(z.object({ name: displayNameSchema.min(1), monitors: z.array(z.string()) })),
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

/** `publicUrl` in watchkeeper.config.ts: every link to the runtime is built from it (see web-url.ts). */
const publicUrlSchema = z.string().superRefine((text, ctx) => {
  const problem = limits.enforced ? publicUrlProblem(text) : null;
  if (problem) {
    ctx.addIssue({
      code: "custom",
      message: `publicUrl in watchkeeper.config.ts is not usable: ${problem}; give the runtime's address as https://host[:port][/path], such as "https://watchkeeper.example.com"`,
    });
  }
});

export const manifestSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("Manifest"),
  project: z.object({ name: displayNameSchema }),
  /** sha256 of the manifest's canonical JSON without this field (nor `bundle`). */
  hash: z.string(),
  /**
   * The monitors.mjs that `wk compile` wrote beside this manifest, so the runtime refuses one from
   * another compile. Outside the content hash: `wk plan` builds no bundle and must see the same
   * hash; absent in artifacts compiled before it existed (their bundle loads unchecked).
   */
  bundle: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected the sha256 of monitors.mjs in hex") }).strict().optional(),
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
  secrets: z.array(secretNameSchema),
  settings: z.object({
    statusPage: z.object({ title: displayNameSchema }),
    /** Public URL of the runtime, used for links and the PagerDuty webhook subscription. */
    publicUrl: publicUrlSchema.nullable(),
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
