/**
 * The token of HTTP Basic authentication (RFC 7617, UTF-8) for the credentials of a URL such as
 * `https://alerts:token@hooks.example.com/in`, or null when it has none. One function for the
 * sender and for redaction: an answer that echoes the request's headers echoes this token.
 */
export function basicToken(url: URL): string | null {
  if (url.username === "" && url.password === "") return null;
  return Buffer.from(`${percentDecoded(url.username)}:${percentDecoded(url.password)}`, "utf8").toString("base64");
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
