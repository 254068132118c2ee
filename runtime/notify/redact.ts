/**
 * Removes secret values from text that may reach logs, errors or the deliveries table (vendor
 * answers can echo what they received). Values shorter than 4 characters are not treated as
 * secrets: replacing them would mangle ordinary text.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const value of secrets) {
    for (const part of secretParts(value)) {
      out = out.split(part).join("[redacted]");
      const encoded = encodeURIComponent(part);
      if (encoded !== part) out = out.split(encoded).join("[redacted]");
    }
  }
  return out;
}

/**
 * The value, and for a URL-valued secret (a Slack webhook) its path and long path segments too:
 * an answer may echo only the path, and the token is a segment of it.
 */
function secretParts(value: string): string[] {
  if (value.length < 4) return [];
  const parts = [value];
  if (/^https?:\/\//.test(value)) {
    try {
      const url = new URL(value);
      if (url.pathname.length >= 10) parts.push(url.pathname);
      for (const segment of url.pathname.split("/")) if (segment.length >= 10) parts.push(segment);
      if (url.search.length >= 10) parts.push(url.search.slice(1));
    } catch {
      // not a URL after all
    }
  }
  return parts.sort((a, b) => b.length - a.length);
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
