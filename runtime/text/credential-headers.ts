/** Request headers that carry a credential by their name, whatever the value looks like. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie"]);

/**
 * Whether a request header's value is a credential by the header's name: the names above, and any
 * ending in -token, -key or -secret (X-Vault-Token, X-Partner-Key). Such a value belongs in
 * secret("NAME"); written as a literal it is a compile finding and never shown.
 */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || /-(?:token|key|secret)$/.test(lower);
}

/** A check's headers with each literal credential value replaced by the marker (a secret reference, a name, stays). */
export function withoutCredentialValues<T>(headers: Record<string, T | string>, marker: string): Record<string, T | string> {
  let out: Record<string, T | string> | null = null;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string" || !isCredentialHeader(name)) continue;
    (out ??= { ...headers })[name] = marker;
  }
  return out ?? headers;
}
