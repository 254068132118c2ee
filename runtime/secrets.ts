import { readFileSync } from "node:fs";
import { join } from "node:path";
import { API_TOKEN_SECRET } from "./http/api-auth.js";
import { PAGERDUTY_WEBHOOK_SECRET } from "./inbound/pagerduty-webhook.js";
import type { SecretSource } from "./notify/contract.js";

export interface SecretSourceOptions {
  /** Secret names the manifest declares. */
  declared: string[];
  /** Usually process.env; a secret set here wins over a file. */
  env: Record<string, string | undefined>;
  /** Folder of mounted secret files (file name = secret name), e.g. from WK_SECRETS_DIR. */
  dir?: string | null;
  /** Milliseconds since the epoch; file values are re-read at most every `refreshMs`. */
  now: () => number;
  refreshMs?: number;
}

/** The runtime's SecretSource, with the list of known values the logger needs to redact. */
export interface RuntimeSecrets extends SecretSource {
  /** Every value currently set, for redaction; never log this. */
  values(): string[];
}

/**
 * Secrets from the environment and from files in a mounted folder (Kubernetes secrets). Files are
 * re-read now and then, so a secret mounted after start-up is picked up without a restart.
 */
export function createSecretSource(o: SecretSourceOptions): RuntimeSecrets {
  const refreshMs = o.refreshMs ?? 5_000;
  const fileCache = new Map<string, { value: string | undefined; readAt: number }>();

  const fromFile = (name: string): string | undefined => {
    if (!o.dir || !/^[A-Za-z0-9_.-]+$/.test(name)) return undefined;
    const now = o.now();
    const cached = fileCache.get(name);
    if (cached && now - cached.readAt < refreshMs) return cached.value;
    let value: string | undefined;
    try {
      // Mounted secrets usually end with a newline that is not part of the value.
      value = readFileSync(join(o.dir, name), "utf8").replace(/\r?\n$/, "");
    } catch {
      value = undefined;
    }
    fileCache.set(name, { value: value === "" ? undefined : value, readAt: now });
    return value === "" ? undefined : value;
  };

  const get = (name: string): string | undefined => {
    const env = o.env[name];
    if (env !== undefined && env !== "") return env;
    return fromFile(name);
  };

  return {
    get,
    missing: () => o.declared.filter((name) => get(name) === undefined),
    // The runtime's own secrets (the API token, the PagerDuty webhook signing key) need not be
    // declared by the project, and are redacted too.
    values: () => [...new Set([...o.declared, API_TOKEN_SECRET, PAGERDUTY_WEBHOOK_SECRET])].map(get).filter((v): v is string => v !== undefined),
  };
}
