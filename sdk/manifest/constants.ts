import type { RuntimeSettings } from "./schema.js";

// The manifest's constants, apart from its schema: the SDK's synthesis needs them, and it runs in
// every load bundle, which would otherwise carry (and esbuild parse) all of zod on every compile.

export const API_VERSION = "watchkeeper.dev/v1";

/**
 * The weakest certificate key an HTTP check accepts when the monitor names no minimum: the CA/Browser
 * Forum Baseline Requirements (6.1.5) floor for publicly trusted certificates, and NIST SP 800-57's
 * 112-bit security strength (RSA 2048; EC below 256 bits is under 128 bits).
 */
export const DEFAULT_TLS_MIN_KEY = { rsa: 2048, ec: 256 } as const;

/** The defaults every runtime setting takes when the project says nothing (docs/security.md). */
export const DEFAULT_RUNTIME_SETTINGS: RuntimeSettings = {
  openReads: false,
  maxSilence: "14d",
  webhookMaxAge: "10m",
  retention: { results: "48h", notifications: "30d", silences: "30d", inbound: "7d", resolvedAlerts: "30d", rollups: "90d", minuteRollups: "7d" },
};

/**
 * The retention fields every manifest carries since v1. Fields added later (`rollups`,
 * `minuteRollups`) are written only when the project sets them, so the manifest (and its hash) of
 * a project that does not stays as it was; the runtime fills in their defaults.
 */
export const V1_RETENTION_FIELDS = ["results", "notifications", "silences", "inbound", "resolvedAlerts"] as const;
