// Which secret names belong to the runtime rather than to a project. Apart from secret.ts, which
// every project's bundle carries: the compiler and the runtime need these, a monitor does not.

/**
 * Secrets the runtime reads for itself: its API token (admin access to silences and
 * acknowledgements), the PagerDuty webhook signing key and the Redis URL of a scaled-out runtime.
 * The runtime redacts and checks them without a declaration; a project that could reference them
 * could send the runtime's own credentials to any check target or channel.
 */
export const RUNTIME_SECRET_NAMES: readonly string[] = ["WATCHKEEPER_API_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "WATCHKEEPER_REDIS_URL"];

/**
 * Name prefixes of the environment the runtime itself is configured by: its settings (`WK_*`), its
 * own secrets' namespace (`WATCHKEEPER_*`) and Node's (`NODE_OPTIONS`, `NODE_EXTRA_CA_CERTS`,
 * `NODE_TLS_REJECT_UNAUTHORIZED`...). A secret by such a name is set in the environment the runtime
 * starts with, where setting it also configures the runtime, and reading it reads the runtime's
 * configuration.
 */
export const RESERVED_SECRET_PREFIXES: readonly string[] = ["WK_", "WATCHKEEPER_", "NODE_"];
const PREFIX_OWNERS: Record<string, string> = { WK_: "the runtime's settings", WATCHKEEPER_: "the runtime's own secrets", NODE_: "Node's settings (NODE_OPTIONS...)" };

/** Process-wide variables of the same kind: the time zone, the library path and search path, libuv's pool, OpenSSL's config. */
const PROCESS_VARIABLES: readonly string[] = ["TZ", "PATH", "HOME", "LD_PRELOAD", "LD_LIBRARY_PATH", "UV_THREADPOOL_SIZE", "OPENSSL_CONF", "SSL_CERT_FILE", "SSL_CERT_DIR"];

/**
 * Why a project may not use this secret name (the runtime's own secret, or a variable that
 * configures the runtime or Node), or null when it may.
 */
export function reservedSecretProblem(name: string): string | null {
  if (RUNTIME_SECRET_NAMES.includes(name)) return "it is the runtime's own secret; a monitor or channel that could read it could send it anywhere";
  const prefix = RESERVED_SECRET_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `names starting with ${prefix} are kept for ${PREFIX_OWNERS[prefix]}, read from the environment the runtime starts with`;
  if (PROCESS_VARIABLES.includes(name)) return "the runtime's process reads that variable as a setting";
  return null;
}
