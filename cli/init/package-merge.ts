/**
 * `wk init --force` into a folder that already has a package.json: the user's file is the
 * project's, so the scaffold's is merged into it, never written over it. Their name, version,
 * scripts, dependencies and every other field stay as they are; what the scaffold needs and they
 * lack is added; the one value init owns, the `watchkeeper` dependency, is set (where they list it,
 * else under `dependencies`). Each change, and each scaffold value that theirs kept out, is
 * returned as a note for init to print.
 */

export type PackageMerge = { ok: true; text: string; notes: string[] } | { ok: false; reason: string };

/** Fields that name the user's own package: kept without a note when they differ. */
const IDENTITY = new Set(["name", "version", "description", "private"]);

export function mergePackageJson(theirs: string, scaffold: string, watchkeeperSpec: string): PackageMerge {
  let parsed: unknown;
  try {
    parsed = JSON.parse(theirs);
  } catch (error) {
    return { ok: false, reason: `it is not valid JSON (${(error as Error).message})` };
  }
  if (!isRecord(parsed)) return { ok: false, reason: "it is not a JSON object" };
  const merged: Record<string, unknown> = { ...parsed };
  const ours = JSON.parse(scaffold) as Record<string, unknown>;
  const added: string[] = [];
  const kept: string[] = [];
  const notes: string[] = [];

  for (const [key, value] of Object.entries(ours)) {
    const their = merged[key];
    if (their === undefined) {
      merged[key] = value;
      added.push(key);
    } else if (isRecord(their) && isRecord(value)) {
      const section = { ...their };
      for (const [name, wanted] of Object.entries(value)) {
        if (key === "dependencies" && name === "watchkeeper") continue;
        if (section[name] === undefined) {
          section[name] = wanted;
          added.push(`${key}.${name}`);
        } else if (JSON.stringify(section[name]) !== JSON.stringify(wanted)) {
          kept.push(`${key}.${name} (the scaffold's: ${JSON.stringify(wanted)})`);
        }
      }
      merged[key] = section;
    } else if (JSON.stringify(their) !== JSON.stringify(value) && !IDENTITY.has(key)) {
      kept.push(`${key} (the scaffold's: ${JSON.stringify(value)})`);
    }
  }

  // The dependency is what init is for: set where the user lists it, so it is never listed twice.
  const home = isRecord(merged["devDependencies"]) && merged["devDependencies"]["watchkeeper"] !== undefined && !(isRecord(merged["dependencies"]) && merged["dependencies"]["watchkeeper"] !== undefined) ? "devDependencies" : "dependencies";
  const deps = isRecord(merged[home]) ? { ...merged[home] } : {};
  const before = deps["watchkeeper"];
  deps["watchkeeper"] = watchkeeperSpec;
  merged[home] = deps;
  if (before === undefined && !added.includes(home)) notes.push(`added ${home}.watchkeeper ${JSON.stringify(watchkeeperSpec)}`);
  else if (before !== undefined && before !== watchkeeperSpec) notes.push(`set ${home}.watchkeeper to ${JSON.stringify(watchkeeperSpec)} (was ${JSON.stringify(before)})`);

  if (added.length > 0) notes.unshift(`added ${added.join(", ")}`);
  if (kept.length > 0) notes.push(`kept yours: ${kept.join(", ")}`);
  return { ok: true, text: `${JSON.stringify(merged, null, indentOf(theirs))}\n`, notes };
}

/** The indentation the user's file uses (two spaces when it has none). */
function indentOf(text: string): string {
  return /^[ \t]+(?=")/m.exec(text)?.[0] ?? "  ";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
