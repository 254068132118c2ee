import { createHash } from "node:crypto";
import type { NotificationIntent } from "../../../alerts/intent.js";

/**
 * A routing key's identity as the notification log keeps it (the delivery's reference): a
 * fingerprint, never the key. PagerDuty's integration keys are 32 random characters, so 64 bits of
 * their SHA-256 tell the few keys a service has had apart and give nothing back.
 */
export function routingKeyRef(key: string): string {
  return `pd-key:${createHash("sha256").update(`watchkeeper routing key\n${key}`).digest("hex").slice(0, 16)}`;
}

const REF = /^pd-key:[0-9a-f]{16}$/;

/** The routing keys a destination knows now: the current one and those rotations replaced. */
export interface KnownRoutingKeys {
  key: string;
  previous?: string[];
}

/** The key to send an event with, and a warning when it may not reach the incident it is meant for. */
export type ChosenKey = { key: string; warning: string | null };

/**
 * PagerDuty scopes an incident to the integration (routing key) its trigger came in on: an
 * acknowledge, resolve or reminder sent with another key answers 202 and touches nothing. So every
 * event after a trigger goes with the key the trigger went with, found among the known keys by the
 * reference the trigger left. A trigger opens a new incident and takes the current key; so does an
 * event whose trigger left no reference (sent by an older release). When the trigger's key is no
 * longer known (rotated before a restart, and not kept as a previous key), the event goes with the
 * current key and says that it may not reach the incident: nothing better can be sent.
 */
export function chooseRoutingKey(intent: NotificationIntent, known: KnownRoutingKeys, previousRef: string | null): ChosenKey {
  if (intent.type === "trigger" || previousRef === null || !REF.test(previousRef)) return { key: known.key, warning: null };
  for (const key of [known.key, ...(known.previous ?? [])]) if (routingKeyRef(key) === previousRef) return { key, warning: null };
  const what = intent.type === "resolve" ? "resolve" : intent.type === "acknowledge" ? "acknowledge" : "reach";
  return {
    key: known.key,
    warning:
      `the routing key alert ${intent.dedupKey} of monitor ${intent.monitorId} was triggered with is no longer known ` +
      `(rotated, and not kept as a previous key): sent with the current key, which cannot ${what} the incident that trigger opened; ` +
      `${intent.type === "remind" ? "it may open a second one; " : ""}check the incident in PagerDuty`,
  };
}
