import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { Stage } from "../pipeline.js";
import type { Awaitable } from "../../awaitable.js";
import { silenceMatches, type Silence } from "../silences.js";
import type { Notification } from "../types.js";
import { isEmergency } from "./route-stage.js";
import { monitorsById } from "../../monitors-by-id.js";

/** Where the silence stage reads the silences in effect (manifest windows and API silences). */
export interface SilenceSource {
  active(now: number): Awaitable<Silence[]>;
}

/**
 * Mutes triggers, reminders and acknowledgements covered by a silence or maintenance window at
 * `now`. Resolves always pass, so an incident opened before the silence still closes (the dedup
 * stage drops a resolve for an alert that was never sent). Emergency reports pass: a person asked.
 */
export function silenceStage(manifest: Manifest, silences: SilenceSource): Stage {
  const monitors = monitorsById(manifest);
  return async (ctx, items) => {
    const active = await silences.active(ctx.now);
    if (active.length === 0) return items;
    const out: Notification[] = [];
    for (const item of items) {
      const monitor = monitors.get(item.intent.monitorId);
      if (item.intent.type === "resolve" || isEmergency(item.intent) || !monitor) {
        out.push(item);
        continue;
      }
      const alert = {
        monitorId: monitor.id,
        serviceId: monitor.service,
        labels: { ...monitor.labels, ...item.intent.labels },
      };
      const silence = active.find((s) => silenceMatches(s.matchers, alert));
      if (silence) ctx.drop(item, `${silence.kind === "maintenance" ? "maintenance window" : "silence"} ${silence.id}`);
      else out.push(item);
    }
    return out;
  };
}
