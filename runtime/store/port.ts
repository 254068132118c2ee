import type { AlertStore } from "../alerts/alert-store.js";
import type { OutboxReader, OutboxWriter } from "../alerts/intent.js";
import type { Awaitable } from "../awaitable.js";
import type { InboundEvents } from "../checks/types.js";
import type { EvaluationStore } from "../evaluate/evaluation-store.js";
import type { WebhookIdLog } from "../inbound/webhook-ids.js";
import type { DeliveryQueue } from "../notify/delivery-queue.js";
import type { SilenceLog, SilenceRecords } from "../notify/silences.js";
import type { NotifyLog } from "../notify/stages/dedup-stage.js";
import type { FiringSource } from "../notify/stages/inhibit-stage.js";
import type { StateView } from "../server/state-view.js";
import type { ChangeFeed } from "./change-feed.js";
import type { HistoryLog } from "./history.js";
import type { Prunable } from "./retention.js";
import type { SignedOutLog } from "../http/signed-out.js";

/** Whether the store can take writes, and letting go of it. */
export interface StoreLifecycle {
  /** True when a write commits: /readyz's "store writable". */
  writable(at: number): Awaitable<boolean>;
  close(): Awaitable<void>;
}

/**
 * The runtime's one store: every narrow port its consumers own, in one interface that each adapter
 * (SQLite embedded, Redis scale-out) implements and one conformance suite checks
 * (runtime/store/conformance.ts). Consumers name the narrow port they use, never an adapter.
 *
 * - evaluate/: EvaluationStore (read alerts with versions; commit alerts, results and intents together)
 * - alerts/ (acknowledgements, outside resolves, rollout): AlertStore
 * - notify/: OutboxReader, DeliveryQueue, NotifyLog, FiringSource, SilenceLog
 * - views/ (postmortem drafts): SilenceRecords; (live updates): ChangeFeed
 * - inbound/: OutboxWriter, InboundEvents, WebhookIdLog
 * - server/ (health, metrics, status page, JSON API): StateView
 * - views/ (overview, monitor and alert pages, postmortem drafts): HistoryLog
 * - http/ (browser sessions signed out): SignedOutLog
 * - the pruner: Prunable
 */
export interface Store
  extends EvaluationStore,
    AlertStore,
    StateView,
    HistoryLog,
    OutboxReader,
    OutboxWriter,
    DeliveryQueue,
    NotifyLog,
    FiringSource,
    SilenceLog,
    SilenceRecords,
    ChangeFeed,
    Required<InboundEvents>,
    WebhookIdLog,
    SignedOutLog,
    Prunable,
    StoreLifecycle {}
