/** The location of a replica that names none, and of embedded mode. */
export const DEFAULT_LOCATION = "local";

/** Location names: lowercase letters, digits and dashes (they become queue and key names). */
export function isLocationName(name: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(name);
}
