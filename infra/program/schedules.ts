import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest, OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { lineageOptions, oldNames } from "./lineage.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";
import { durationSeconds } from "./seconds.js";

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
    timeZone: schedule.timeZone,
    ...(schedule.description !== null ? { description: schedule.description } : {}),
    ...(schedule.teams.length > 0 ? { teams: schedule.teams.map((id) => Refs.get(refs.teams, "team", id)) } : {}),
    layers: schedule.layers.map((layer) => ({
      name: layer.name,
      start: layer.start,
      ...(layer.end !== null ? { end: layer.end } : {}),
      rotationTurnLengthSeconds: durationSeconds(layer.rotationTurnLength),
      rotationVirtualStart: layer.rotationVirtualStart,
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
