import type * as pulumi from "@pulumi/pulumi";

/**
 * Resource options that keep what is already in PagerDuty. A renamed definition (`previousIds`)
 * gets aliases naming its old logical names, so Pulumi moves the state to the new name instead of
 * deleting the object (and its incident history) and creating another. An adopted one
 * (`pagerdutyId`) is imported on the deploy that first declares it; once it is in the stack the
 * option is a no-op, so it may stay in the source.
 */
export function lineageOptions(
  opts: pulumi.CustomResourceOptions,
  oldNames: readonly string[],
  pagerdutyId?: string,
): pulumi.CustomResourceOptions {
  const out: pulumi.CustomResourceOptions = { ...opts };
  if (oldNames.length > 0) out.aliases = oldNames.map((name) => ({ name }));
  if (pagerdutyId !== undefined) out.import = pagerdutyId;
  return out;
}

/** The logical names a resource had under each earlier id of its definition. */
export function oldNames(previousIds: readonly string[] | undefined, nameOf: (id: string) => string): string[] {
  return (previousIds ?? []).map(nameOf);
}

/**
 * Every earlier name of a resource named after two definitions (a team membership: team and user),
 * either of which may have been renamed.
 */
export function oldPairNames(
  first: { id: string; previousIds?: readonly string[] | undefined },
  second: { id: string; previousIds?: readonly string[] | undefined },
  nameOf: (a: string, b: string) => string,
): string[] {
  const firsts = [first.id, ...(first.previousIds ?? [])];
  const seconds = [second.id, ...(second.previousIds ?? [])];
  const current = nameOf(first.id, second.id);
  return firsts.flatMap((a) => seconds.map((b) => nameOf(a, b))).filter((n) => n !== current);
}
