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

/**
 * Replaces every occurrence of each secret value with `[secret]`: as is, URL-encoded and
 * JSON-escaped (the engine quotes a provider's requests and answers either way), longest first.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of formsOf(secrets)) out = out.split(form).join("[secret]");
  return out;
}

function formsOf(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Text the engine printed without a line break after it, held until one comes, at most this long. */
const HELD_MAX = 64 * 1024;

/**
 * The engine's output, redacted, as it comes: a chunk of its stdout can end in the middle of a
 * secret, which neither chunk holds whole, so text is passed on a line at a time (a secret never
 * holds a line break that the engine would print). A long run without one is passed on short of the
 * last characters a secret could start in. `end` passes on what is left.
 */
export function redactedOutput(secrets: readonly string[], write: (text: string) => void): { write(chunk: string): void; end(): void } {
  const forms = formsOf(secrets);
  const longest = Math.max(0, ...forms.map((form) => form.length));
  let held = "";
  /** `at`, or the start of a secret that runs across it, so a cut there leaves it whole. */
  const before = (at: number): number => {
    let cut = at;
    for (const form of forms) {
      for (let i = held.indexOf(form, Math.max(0, at - form.length + 1)); i !== -1 && i < at; i = held.indexOf(form, i + 1)) {
        if (i + form.length > at) cut = Math.min(cut, i);
      }
    }
    return cut;
  };
  return {
    write(chunk) {
      held += chunk;
      let upTo = held.lastIndexOf("\n") + 1;
      if (held.length - upTo > HELD_MAX) upTo = before(held.length - longest);
      if (upTo <= 0) return;
      const text = redact(held.slice(0, upTo), secrets);
      held = held.slice(upTo);
      write(text);
    },
    end() {
      if (held !== "") write(redact(held, secrets));
      held = "";
    },
  };
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
