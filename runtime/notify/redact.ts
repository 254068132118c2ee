/**
 * Removes secret values from text that may reach logs, errors or the deliveries table (vendor
 * answers can echo what they received). Values shorter than 4 characters are not treated as
 * secrets: replacing them would mangle ordinary text.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const value of secrets) {
    if (value.length < 4) continue;
    out = out.split(value).join("[redacted]");
    const encoded = encodeURIComponent(value);
    if (encoded !== value) out = out.split(encoded).join("[redacted]");
  }
  return out;
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
