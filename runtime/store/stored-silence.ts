import type { SilenceMatchers } from "../notify/silences.js";

/**
 * A silence's stored matchers, or null when they are not `{ monitors, services, labels }` of
 * strings (a hand edit, another tool): such a silence mutes nothing, rather than failing the
 * silence stage of every notification.
 */
export function parseStoredMatchers(json: string | undefined): SilenceMatchers | null {
  let m: unknown;
  try {
    m = JSON.parse(json ?? "");
  } catch {
    return null;
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) return null;
  const { monitors, services, labels } = m as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!strings(monitors) || !strings(services)) return null;
  if (typeof labels !== "object" || labels === null || Array.isArray(labels) || !Object.values(labels).every((x) => typeof x === "string")) return null;
  return { monitors, services, labels: labels as Record<string, string> };
}
