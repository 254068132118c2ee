import { offsetAt, parseZonedDateTime, zonedParts } from "../../sdk/oncall/zoned-time.js";

/** What the provider takes for a layer's start, end and hand-off: Go's time.RFC3339. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A layer's date-time as the provider accepts it. The manifest may hold a time in the schedule's
 * zone without an offset ("2026-01-05T09:00:00", "2026-01-05 09:00", "2026-01-05": valid-schedules
 * accepts them and `wk oncall` reads them so), but the provider refuses anything but RFC 3339 with
 * an offset, which would fail `wk deploy` after the merge. Such a time is written out with the
 * schedule zone's offset at that instant; one already in RFC 3339 is sent as written, so a deployed
 * stack sees no change.
 */
export function layerTime(text: string, timeZone: string): string {
  if (RFC3339.test(text)) return text;
  const instant = parseZonedDateTime(text, timeZone);
  // valid-schedules refuses a date-time it cannot read; the provider's error is the fallback.
  return instant === undefined ? text : rfc3339In(instant, timeZone);
}

/** `2026-01-05T09:00:00+01:00`: the instant on the zone's wall clock, with its offset then. */
function rfc3339In(instant: number, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  const offset = Math.round(offsetAt(instant, timeZone) / 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
