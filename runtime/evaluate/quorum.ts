import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { truncate } from "../text/truncate.js";
import { labelId, type LabeledObservation } from "./observe.js";
import { SUMMARY_MAX } from "./summary.js";
import { byCodeUnits } from "../text/compare.js";

/**
 * Merges one tick's judged label sets from several locations into one per label set: failing when
 * at least `quorum` locations judged it failing, with the failing locations and what each saw in
 * the summary and details (which is what the trigger carries to PagerDuty and the other channels);
 * unknown when the locations that could not tell (an `onError: "unknown"` check error) could have
 * made the quorum, as they might have seen it failing; otherwise ok. Pure: the caller collected the outcomes.
 */
export function mergeLocations(monitor: MonitorSpec, byLocation: Record<string, LabeledObservation[]>, quorum: number): LabeledObservation[] {
  const sets = new Map<string, Array<{ location: string; o: LabeledObservation }>>();
  for (const [location, judged] of Object.entries(byLocation).sort(([a], [b]) => byCodeUnits(a, b))) {
    for (const o of judged) {
      const key = labelId(o.labels);
      (sets.get(key) ?? sets.set(key, []).get(key)!).push({ location, o });
    }
  }
  const missing = (monitor.locations ?? []).filter((l) => !(l in byLocation));
  // A location whose check errored could tell nothing about any label set, not only the empty one its error carries.
  const blind = Object.keys(byLocation).filter((l) => byLocation[l]!.some((o) => o.error !== undefined && o.observation.kind === "unknown"));
  const merged: LabeledObservation[] = [];
  for (const seen of sets.values()) {
    const failing = seen.filter((s) => s.o.observation.kind === "failing");
    const saw = Object.fromEntries(seen.map((s) => [s.location, `${s.o.observation.kind}: ${s.o.result.message}`]));
    const locations = { quorum, failing: failing.map((f) => f.location), saw, ...(missing.length > 0 ? { notReported: missing } : {}) };
    if (failing.length >= quorum) {
      const first = failing[0]!.o;
      const observation = first.observation as Extract<LabeledObservation["observation"], { kind: "failing" }>;
      const where = `failing from ${failing.map((f) => f.location).join(", ")} (${failing.length} of ${seen.length + missing.length}, quorum ${quorum})`;
      merged.push({
        ...first,
        observation: { ...observation, summary: truncate(`${observation.summary} — ${where}`, SUMMARY_MAX), details: { ...observation.details, locations } },
        result: { ...first.result, message: `${first.result.message} — ${where}`, details: { ...first.result.details, locations } },
      });
      continue;
    }
    const unsure = new Set([...seen.filter((s) => s.o.observation.kind === "unknown").map((s) => s.location), ...blind]);
    for (const f of failing) unsure.delete(f.location);
    const ok = seen.find((s) => s.o.observation.kind === "ok") ?? seen.find((s) => s.o.observation.kind === "failing");
    if (!ok || failing.length + unsure.size >= quorum) {
      // Those that could not tell might have made the quorum: the alert stays as it is.
      const unknown = seen.find((s) => s.o.observation.kind === "unknown") ?? seen[0]!;
      const reason = `${failing.length} of ${seen.length + missing.length} locations failing and ${unsure.size} could not tell (quorum ${quorum})`;
      merged.push(unknown.o.observation.kind === "unknown" ? unknown.o : { ...unknown.o, firing: null, observation: { kind: "unknown", reason } });
      continue;
    }
    const base = ok.o;
    const summary = base.observation.kind === "unknown" ? base.result.message : base.observation.summary;
    merged.push({
      ...base,
      firing: false,
      observation: { kind: "ok", value: base.result.value, summary, details: { ...base.result.details, locations } },
      result: { ...base.result, ok: failing.length === 0 && base.result.ok, details: { ...base.result.details, locations } },
    });
  }
  return merged;
}
