/** Why a deploy could not start or did not finish. */
export type DeployFailureKind =
  /** Missing or inconsistent settings (token, passphrase, backend). Nothing was touched. */
  | "config"
  /** The Pulumi engine or the PagerDuty API failed part-way; state records what was applied. */
  | "engine";

/** A classified deploy failure; its message and hint never carry a secret value. */
export class DeployFailure extends Error {
  constructor(
    readonly kind: DeployFailureKind,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "DeployFailure";
  }
}

/** Replaces every occurrence of each secret value with `[secret]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[secret]");
  return out;
}

/**
 * What an engine error says, fit for one report: Pulumi's CommandError repeats its cause (the
 * command line, then stderr that says the same), so lines are kept once each, and only the last
 * ones, where the transcript says what went wrong.
 */
export function engineMessage(error: unknown, lastLines = 12): string {
  const text = error instanceof Error ? error.message : String(error);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    const key = line.trim();
    if (key === "" || seen.has(key)) continue;
    seen.add(key);
    lines.push(line);
  }
  return lines.slice(-lastLines).join("\n");
}
