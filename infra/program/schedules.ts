import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest, OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { layerTime } from "./layer-times.js";
import { lineageOptions, oldNames } from "./lineage.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";
import { durationSeconds } from "./seconds.js";
import { pagerdutyTimeZone } from "./time-zones.js";

/** On-call schedules with their layers and restrictions. */
export function declareSchedules(manifest: Manifest, refs: Refs, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  return manifest.schedules.map((schedule) => {
    const created = new pagerduty.Schedule(
      logicalName.schedule(schedule.id),
      scheduleArgs(schedule, refs),
      lineageOptions(opts, oldNames(schedule.previousIds, logicalName.schedule), schedule.pagerdutyId),
    );
    refs.schedules.set(schedule.id, created.id);
    return created;
  });
}

function scheduleArgs(schedule: OncallScheduleSpec, refs: Refs): pagerduty.ScheduleArgs {
  return {
    name: schedule.name,
    // "UTC" is refused by name; the rules let through only zones PagerDuty has under some name.
    timeZone: pagerdutyTimeZone(schedule.timeZone) ?? schedule.timeZone,
    ...(schedule.description !== null ? { description: schedule.description } : {}),
    ...(schedule.teams.length > 0 ? { teams: schedule.teams.map((id) => Refs.get(refs.teams, "team", id)) } : {}),
    layers: schedule.layers.map((layer) => ({
      name: layer.name,
      start: layerTime(layer.start, schedule.timeZone),
      ...(layer.end !== null ? { end: layerTime(layer.end, schedule.timeZone) } : {}),
      rotationTurnLengthSeconds: durationSeconds(layer.rotationTurnLength),
      rotationVirtualStart: layerTime(layer.rotationVirtualStart, schedule.timeZone),
      users: layer.users.map((id) => Refs.get(refs.users, "user", id)),
      restrictions: layer.restrictions.map((r) => ({
        type: r.type,
        startTimeOfDay: r.startTimeOfDay,
        durationSeconds: durationSeconds(r.duration),
        // PagerDuty only accepts a start day on weekly restrictions.
        ...(r.type === "weekly_restriction" && r.startDayOfWeek !== null ? { startDayOfWeek: r.startDayOfWeek } : {}),
      })),
    })),
  };
}
