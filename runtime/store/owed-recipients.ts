import type { SendOutcome } from "../notify/types.js";

/**
 * The owed recipients as both stores keep them: a JSON array of addresses, written when an attempt
 * reached only some recipients. null leaves the stored list as it is: who is owed only narrows, and
 * an attempt that reached nobody (a connection that failed) still owes the same ones.
 */
export function owedToWrite(outcome: SendOutcome): string | null {
  return outcome.kind === "retry" && outcome.owedTo && outcome.owedTo.length > 0 ? JSON.stringify(outcome.owedTo) : null;
}

/** The stored owed recipients; a value that is not a list of addresses counts as none (every recipient). */
export function owedToRead(json: string | null | undefined): { owedTo?: string[] } {
  if (json === null || json === undefined || json === "") return {};
  try {
    const list: unknown = JSON.parse(json);
    if (Array.isArray(list) && list.length > 0 && list.every((r) => typeof r === "string")) return { owedTo: list as string[] };
  } catch {
    // not written by this build: every recipient is owed, as before the attempt
  }
  return {};
}
