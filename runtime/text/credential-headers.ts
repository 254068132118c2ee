/** Request headers that carry a credential by their name, whatever the value looks like. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie"]);

/**
 * Whether a request header's value is a credential by the header's name: the names above, and any
 * ending in -token or -secret (X-Vault-Token), or in a key that is a credential's (-api-key,
 * -access-key, -auth-key, -secret-key, -private-key: X-Partner-Api-Key). Not every -key is one:
 * Idempotency-Key and Sec-WebSocket-Key are not. Such a value belongs in secret("NAME"); written as
 * a literal it is a compile finding and never shown.
 */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || /-(?:token|secret|(?:api|access|auth|secret|private)-?key)$/.test(lower);
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
