import type { Database } from "better-sqlite3";
import { durationMs } from "../../../sdk/duration.js";
import { runtimeSettingsOf, type Manifest } from "../../../sdk/manifest/schema.js";
import type { Prunable } from "../../store/retention.js";
import { replayWindowMs } from "../../webhooks/event-age.js";
import { WebhookIds } from "../../webhooks/webhook-ids.js";
import { DeliveryStore } from "./delivery-store.js";
import { SilenceStore } from "./silence-store.js";

/** The delivery side's tables, for the runtime's pruner: deliveries and log, silences, webhook ids. */
export function deliveryPrunables(db: Database, manifest: Manifest): Prunable[] {
  const maxAgeMs = durationMs(runtimeSettingsOf(manifest).webhookMaxAge);
  return [new DeliveryStore(db), new SilenceStore(db, manifest), new WebhookIds(db, replayWindowMs(maxAgeMs))];
}
