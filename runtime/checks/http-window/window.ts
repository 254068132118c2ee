import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { TimeWindow } from "../../../sdk/result.js";
import { durationMs } from "../../../sdk/duration.js";

type TimeFormat = CheckSpecOf<"httpWindow">["timeFormat"];

/** The sliding window ending at the tick's time: `from = now - window, to = now`. */
export function windowAt(now: Date, window: string): TimeWindow {
  return { from: new Date(now.getTime() - durationMs(window)), to: new Date(now.getTime()) };
}

export function formatTime(at: Date, format: TimeFormat): string {
  switch (format) {
    case "iso":
      return at.toISOString();
    case "epoch-ms":
      return String(at.getTime());
    case "epoch-s":
      return String(Math.floor(at.getTime() / 1000));
    default: {
      const never: never = format;
      throw new Error(`unknown time format ${String(never)}`);
    }
  }
}

/** Fills `{{from}}` and `{{to}}`; `encode` is used for URLs so an ISO time survives as a query value. */
export function fillTemplate(template: string, window: TimeWindow, format: TimeFormat, encode: boolean): string {
  const put = (at: Date): string => (encode ? encodeURIComponent(formatTime(at, format)) : formatTime(at, format));
  return template.replace(/\{\{\s*(from|to)\s*\}\}/g, (_m, which: string) => put(which === "from" ? window.from : window.to));
}
