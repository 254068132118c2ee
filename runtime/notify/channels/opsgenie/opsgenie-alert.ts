import { createHash } from "node:crypto";
import type { ChannelSpec, Severity } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { headline, plainText } from "../../render.js";
import { truncate, truncateMarked } from "../../redact.js";
import type { MessageContext } from "../../types.js";
import { truncatedMarker, wellFormed } from "../../../text/truncate.js";

type OpsgenieChannel = Extract<ChannelSpec, { kind: "opsgenie" }>;

/**
 * OpsGenie's documented limits for the Alert API (characters; counts of responders and tags), from
 * https://docs.opsgenie.com/docs/alert-api (Create Alert) and
 * https://docs.opsgenie.com/docs/alerts-and-alert-fields; a longer field is cut, a longer list shortened.
 */
export const OPSGENIE_LIMITS = {
  message: 130,
  alias: 512,
  description: 15_000,
  /** Keys and values of `details` together. */
  details: 8_000,
  entity: 512,
  source: 100,
  tags: 20,
  tag: 50,
  responders: 50,
  user: 100,
  note: 25_000,
} as const;

/** critical -> P1 ... info -> P5; P4 is left for teams that add their own. */
export function opsgeniePriority(severity: Severity): "P1" | "P2" | "P3" | "P5" {
  switch (severity) {
    case "critical":
      return "P1";
    case "error":
      return "P2";
    case "warning":
      return "P3";
    case "info":
      return "P5";
  }
}

/** A detail key is a name; this keeps one absurd label name from taking the whole details budget. */
const DETAIL_KEY_MAX = 100;

/** The create body (`POST /v2/alerts`), every field within OpsGenie's limits; `alias` from opsgenieAlias. */
export function opsgenieCreateBody(intent: NotificationIntent, message: MessageContext, channel: OpsgenieChannel, alias: string = intent.dedupKey): Record<string, unknown> {
  return {
    // OpsGenie refuses a blank message ("Message can not be empty."), whitespace included.
    message: truncate(intent.summary.trim() !== "" ? intent.summary : intent.monitorId, OPSGENIE_LIMITS.message),
    // Dedup keys are at most 255 characters (alertKey), and a channel's alias adds its id (opsgenieAlias).
    alias,
    description: truncateMarked(plainText(intent, message), OPSGENIE_LIMITS.description),
    // OpsGenie names a user responder by `username` (opsgenie-oas UserRecipient); `name` is for teams, schedules and escalations.
    // At most 50 responders, each named (a nameless one would cost the alert a 422).
    responders: channel.responders
      .filter((r) => r.name.trim() !== "")
      .slice(0, OPSGENIE_LIMITS.responders)
      .map((r) => (r.type === "user" ? { type: "user", username: wellFormed(r.name) } : { type: r.type, name: wellFormed(r.name) })),
    tags: channel.tags.slice(0, OPSGENIE_LIMITS.tags).map((tag) => truncate(tag, OPSGENIE_LIMITS.tag)),
    details: opsgenieDetails(intent),
    entity: truncate(intent.monitorId, OPSGENIE_LIMITS.entity),
    source: "watchkeeper",
    priority: opsgeniePriority(intent.severity),
  };
}

/**
 * The alias of the alert a channel opens for an intent. OpsGenie deduplicates on the alias across
 * the whole account, so two OpsGenie channels of one monitor (two teams' integrations, other
 * responders) sending the same alias would fold the second team's alert into the first one's,
 * never paging it, and one's close would close both. The monitor's first OpsGenie channel uses the
 * dedup key, as a monitor with one OpsGenie channel always has; each further one adds its id
 * (`<dedup key>:<channel id>`, a hash of the id when that would pass OpsGenie's 512 characters).
 */
export function opsgenieChannelAlias(intent: NotificationIntent, message: MessageContext, channel: OpsgenieChannel): string {
  const monitor = message.monitor;
  if (!monitor) return intent.dedupKey;
  const opsgenieIds = new Set(message.manifest.channels.filter((c) => c.kind === "opsgenie").map((c) => c.id));
  const first = [...monitor.channels, ...monitor.ackChannels].find((id) => opsgenieIds.has(id));
  return first === undefined || first === channel.id ? intent.dedupKey : scopedAlias(intent.dedupKey, channel.id);
}

/** `<dedup key>:<channel id>`, within OpsGenie's alias limit. */
export function scopedAlias(dedupKey: string, channelId: string): string {
  const alias = `${dedupKey}:${channelId}`;
  return alias.length <= OPSGENIE_LIMITS.alias ? alias : `${dedupKey}:${createHash("sha256").update(channelId).digest("hex")}`;
}

/** The close or acknowledge body (`POST /v2/alerts/{alias}/close|acknowledge`). */
export function opsgenieActionBody(intent: NotificationIntent): Record<string, unknown> {
  return {
    source: "watchkeeper",
    ...(intent.acknowledgedBy ? { user: truncate(intent.acknowledgedBy, OPSGENIE_LIMITS.user) } : {}),
    note: truncate(headline(intent), OPSGENIE_LIMITS.note),
  };
}

/**
 * OpsGenie details are a flat string map of at most 8,000 characters, keys and values together.
 * Entries go in by importance (monitor, severity, value, labels, the check's details, diagnostics
 * last); the first that does not fit is cut with a marker, and anything after it is left out with
 * a `truncated` entry saying how much.
 */
export function opsgenieDetails(intent: NotificationIntent, budget: number = OPSGENIE_LIMITS.details): Record<string, string> {
  const entries: [string, string][] = [["monitor", intent.monitorId], ["severity", intent.severity]];
  if (intent.value !== null) entries.push(["value", String(intent.value)]);
  for (const [name, value] of Object.entries(intent.labels)) entries.push([`label.${name}`, value]);
  const { diagnostics, ...rest } = intent.details;
  for (const [name, value] of Object.entries(rest)) entries.push([name, typeof value === "string" ? value : (JSON.stringify(value) ?? "")]);
  if (diagnostics !== undefined) entries.push(["diagnostics", typeof diagnostics === "string" ? diagnostics : (JSON.stringify(diagnostics) ?? "")]);

  const out: Record<string, string> = {};
  // Room kept for the entry that says what was left out.
  const reserve = "truncated".length + truncatedMarker(Number.MAX_SAFE_INTEGER).length;
  let left = budget - reserve;
  let dropped = 0;
  for (const [rawKey, rawValue] of entries) {
    const value = wellFormed(rawValue);
    const key = truncate(rawKey, DETAIL_KEY_MAX);
    if (key in out) continue;
    const room = left - key.length;
    if (dropped === 0 && value.length <= room) {
      out[key] = value;
      left -= key.length + value.length;
      continue;
    }
    if (dropped === 0 && room >= 64) {
      out[key] = truncateMarked(value, room);
      left -= key.length + out[key]!.length;
    }
    dropped += key in out ? value.length - out[key]!.length : key.length + value.length;
  }
  if (dropped > 0) out["truncated"] = truncatedMarker(dropped);
  return out;
}
