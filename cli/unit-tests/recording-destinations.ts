import type { Manifest } from "../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { Destinations, type DestinationConfig } from "../../runtime/notify/destinations.js";
import { destinationKind, type Destination, type Notifier, type NotifierKind } from "../../runtime/notify/types.js";

/** A notification as it reached a destination in the simulation. */
export interface RecordedNotification {
  at: number;
  destination: string;
  type: NotificationIntent["type"];
  dedupKey: string;
  labels: Record<string, string>;
  summary: string;
}

/**
 * The manifest's destinations with a recording notifier behind each: the send stages (dedup,
 * retry, record) run as in production and the last step writes to a list instead of a vendor.
 */
export class RecordingDestinations extends Destinations {
  private readonly recorders = new Map<string, Notifier>();

  constructor(manifest: Manifest, config: DestinationConfig, private readonly sent: RecordedNotification[]) {
    super(manifest, config);
  }

  override notifier(destination: Destination): Notifier | null {
    if (super.notifier(destination) === null) return null;
    let recorder = this.recorders.get(destination.id);
    if (!recorder) {
      recorder = recordingNotifier(destinationKind(destination) as NotifierKind, destination.id, this.sent);
      this.recorders.set(destination.id, recorder);
    }
    return recorder;
  }
}

function recordingNotifier(kind: NotifierKind, destination: string, sent: RecordedNotification[]): Notifier {
  return {
    kind,
    async send(intent, _message, ctx) {
      sent.push({ at: ctx.now, destination, type: intent.type, dedupKey: intent.dedupKey, labels: intent.labels, summary: intent.summary });
      return { ok: true, status: 202, answer: "recorded by wk test --unit", ref: `simulated-${intent.dedupKey}` };
    },
  };
}
