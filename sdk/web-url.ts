/** The longest `publicUrl`: links are built from it, and browsers and vendors cut far longer ones. */
export const PUBLIC_URL_MAX = 2048;

/**
 * Why `text` cannot be the runtime's public URL, or null when it can. Every notification's "Alert
 * page" link, the postmortem's link, the origin the runtime counts as its own and the PagerDuty
 * webhook subscription are built from it, so it must be a plain absolute http(s) address: a
 * `javascript:` URL would be a link that runs script, credentials would be shown in every message,
 * and a query or fragment would end up in the middle of every link built from it.
 */
export function publicUrlProblem(text: string): string | null {
  if (text.length > PUBLIC_URL_MAX) return `it is longer than ${PUBLIC_URL_MAX} characters`;
  // URL parsing drops tabs and newlines and trims spaces; links are built from the text as written.
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(text)) return "it contains spaces or control characters";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "it is not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `its scheme is ${url.protocol.slice(0, 40)} (only http: and https: make links)`;
  // `https:host` parses too, yet a link built from it is relative in some readers.
  if (!/^https?:\/\/[^/]/i.test(text)) return "it does not start with http:// or https:// and a host";
  if (url.username !== "" || url.password !== "") return "it carries credentials (user:password@), which every link would show";
  if (text.includes("?")) return "it has a query (?...), which would end up in the middle of every link built from it";
  if (text.includes("#")) return "it has a fragment (#...), which would end up in the middle of every link built from it";
  return null;
}

/**
 * Why `text` cannot be fetched by the runtime's HTTP client, or null when it can: an absolute
 * http(s) URL. Any host is fine, private addresses included (checking internal services is the
 * product); anything else would fail as a config error on every tick instead of at compile time.
 */
export function webUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "it is not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `its scheme is ${url.protocol.slice(0, 40)}, and only http: and https: are fetched`;
  return null;
}
