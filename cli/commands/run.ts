import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { loadArtifact, ArtifactError, outdatedLabelsWarning, type LoadedArtifact } from "../../runtime/artifact.js";
import { createRuntime } from "../../runtime/app.js";
import { createLogger, logFormatFor } from "../../runtime/logger.js";
import { runDiagnostics } from "../../runtime/diagnostics/index.js";
import { diagnoseWith, InboundSettingError, inboundSettingsFromEnv, type InboundSettings } from "../../runtime/inbound/routes.js";
import { createDelivery, deliverySettingsFromEnv } from "../../runtime/notify/index.js";
import type { DeliveryDeps, DeliveryService } from "../../runtime/notify/contract.js";
import { KeyFile, routingKeysVerdict, type RoutingKeysVerdict } from "../../runtime/notify/routing-keys.js";
import { createSecretSource, MAX_SECRET_FILE_BYTES, type RuntimeSecrets } from "../../runtime/secrets.js";
import { StateError } from "../../runtime/store/state-error.js";
import type { ScaleOut } from "../../runtime/scale-out/index.js";
import { DEFAULT_LOCATION, isLocationName } from "../../runtime/scale-out/locations.js";
import { locationsOf } from "../../runtime/scale-out/schedules.js";
import { parseDuration } from "../../sdk/duration.js";
import { distance } from "../near-ids.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { listenFailure } from "../system-error.js";

interface RunArgs {
  project?: string;
  artifact?: string;
  port?: number;
  host?: string;
  state?: string;
  strictSecrets?: boolean;
  "strict-secrets"?: boolean;
  redis?: string;
  "redis-prefix"?: string;
  location?: string;
}

/**
 * `wk run`: loads (or compiles, then loads) the artifact, starts the runtime and runs until
 * SIGTERM/SIGINT, then stops gracefully. Tuning without flags: the WK_* variables that
 * settingsFromEnv reads, every one checked before anything starts.
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as RunArgs;
  if (args.project && args.artifact) throw new UserError("give either --project or --artifact, not both");
  const port = args.port ?? 8080;
  const host = args.host ?? "0.0.0.0";
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be a port number from 0 to 65535, got ${typeof port === "number" && Number.isNaN(port) ? "a value that is not a number" : String(args.port)}`, EXIT.usage, "0 picks a free port");
  const env = process.env;
  const settings = settingsFromEnv(env);
  let artifactDir: string;
  if (args.project) {
    const { compileToArtifact } = await import("../compile-first.js");
    const compiled = await compileToArtifact(resolve(args.project));
    if (!compiled.ok) return EXIT.findings;
    artifactDir = compiled.outDir;
  } else {
    artifactDir = resolve(args.artifact ?? "dist/watchkeeper");
    // The manifest (or the bundle) named instead of the folder holding both: say which folder.
    if (isFile(artifactDir)) {
      throw new UserError(`refusing to start: --artifact names the folder of a compiled artifact, and ${artifactDir} is a file: give its folder, ${dirname(artifactDir)}`, EXIT.findings, "the folder holds manifest.json and monitors.mjs, as `wk compile` wrote them");
    }
  }

  let artifact: LoadedArtifact;
  try {
    // The bundle is checked here and imported only by the runtime's code worker.
    artifact = await loadArtifact(artifactDir, { importBundle: false });
  } catch (error) {
    if (error instanceof ArtifactError) throw new UserError(`refusing to start: ${error.message}`, EXIT.findings, "`wk compile` writes the artifact (dist/watchkeeper by default; --out names another folder); run it with this version of watchkeeper and pass that folder as --artifact");
    throw error;
  }

  const secrets = createSecretSource({ declared: artifact.manifest.secrets, env, dir: settings.secretsDir, now: Date.now });
  // A secret file that is a folder, a FIFO, a device or too large is a mistake to fix, not a secret that is merely not set yet.
  const unusable = secrets.unusableFiles();
  if (unusable.length > 0) {
    throw new UserError(
      `refusing to start: ${unusable.map((u) => `the secret file ${u.path} ${u.reason}`).join("; ")}`,
      EXIT.findings,
      `a file in WK_SECRETS_DIR holds one secret's value as UTF-8 text (at most ${MAX_SECRET_FILE_BYTES} bytes); replace or remove it`,
    );
  }
  const missing = secrets.missing();
  const strict = (args.strictSecrets ?? args["strict-secrets"]) === true;
  if (strict && missing.length > 0) {
    throw new UserError(`refusing to start: declared secrets not set: ${missing.join(", ")}`, EXIT.findings, "set them in the environment or as files in WK_SECRETS_DIR");
  }
  const routingKeys = routingKeysAtStart(artifact, settings.delivery.routingKeysFile, (env.WK_ROUTING_KEYS_FILE ?? "") !== "");
  if (routingKeys !== null && (routingKeys.severity === "error" || strict)) {
    throw new UserError(`refusing to start: ${routingKeys.message}`, EXIT.findings, routingKeys.hint);
  }
  // Space around the URL is never part of it: a line break from a secret file, a space pasted before it.
  const redisUrl = (args.redis || env.WATCHKEEPER_REDIS_URL || "").trim();
  // The Redis URL whole, and its password alone, are secrets too: an error may quote either (AUTH
  // failures, ioredis's options), and project code can read the command line. Logs, diagnostics and
  // what project code returns are scrubbed of them like the declared ones.
  const redisSecrets = redisUrl ? [redisUrl, ...urlPassword(redisUrl)] : [];
  const runtimeSecrets: RuntimeSecrets = { ...secrets, values: () => [...secrets.values(), ...redisSecrets] };
  // Once the runtime is built, the routing keys its delivery reads from the routing keys file too.
  let runtimeSecretValues = runtimeSecrets.values;
  const logger = createLogger({
    level: settings.logLevel,
    secretValues: () => runtimeSecretValues(),
    format: logFormatFor(env, process.stdout.isTTY === true),
  });
  keepPagingThroughStrayErrors(logger);
  for (const { name, meant } of nearMissVariables(env, artifact.manifest.secrets)) {
    logger.warn({ variable: name, meant }, `${name} is not a variable wk run reads, so it is ignored: did you mean ${meant}?`);
  }
  if (routingKeys !== null) logger.warn({ file: settings.delivery.routingKeysFile }, `${routingKeys.message} (${routingKeys.hint})`);
  const outdatedLabels = outdatedLabelsWarning(artifact.refusedLabels);
  if (outdatedLabels !== null) {
    // The ids ride along for log search, a hundred at most: the line stays a line at any fleet size.
    const ids = artifact.refusedLabels.map((r) => r.monitorId);
    logger.warn({ monitors: ids.slice(0, 100), ...(ids.length > 100 ? { moreMonitors: ids.length - 100 } : {}) }, outdatedLabels);
  }
  const scaleOut = await scaleOutOf(args, redisUrl, artifact, logger, settings.stalledIntervalMs);
  const queued = scaleOut === null ? null : await queuedDeliveryOf(redisUrl, args["redis-prefix"] ?? "wk");

  // A locked, corrupt or unwritable state folder is the environment's problem: say which and what to do.
  const runtime = await createRuntime({
    manifest: artifact.manifest,
    bundleUrl: artifact.bundleUrl,
    stateDir: resolve(args.state ?? ".watchkeeper"),
    logger,
    secrets: runtimeSecrets,
    delivery: (deps) => deliveryFor(deps, queued, settings.delivery),
    // The emergency page attaches the monitor's diagnostics to the page it sends.
    inbound: { settings: settings.inbound, diagnose: diagnoseWith((specs, opts) => runDiagnostics(specs, opts)) },
    port,
    host,
    concurrency: settings.concurrency,
    spreadMs: settings.spreadMs,
    drainTimeoutMs: settings.drainTimeoutMs,
    allowedHosts: settings.allowedHosts,
    ...(scaleOut ?? {}),
  }).catch((error: unknown) => {
    if (error instanceof StateError) throw new UserError(`refusing to start: ${error.message}`, EXIT.findings, error.hint);
    if (error instanceof ArtifactError) throw new UserError(`refusing to start: ${error.message}`, EXIT.findings, "recompile the project with `wk compile` and start the runtime on that artifact");
    throw error;
  });
  runtimeSecretValues = runtime.secretValues;

  const signalled = stopSignal(logger, settings.drainTimeoutMs);
  // A taken or privileged port is the operator's to fix: one line, and the state lock released.
  const url = await runtime.start().catch(async (error: unknown) => {
    const refusal = listenFailure(error, { port, host });
    if (refusal === null) throw error;
    await runtime.stop();
    throw refusal;
  });
  process.stdout.write(`watchkeeper: ${artifact.manifest.monitors.length} monitors, listening on ${url}\n`);
  // The last start-up line: where to look (a wildcard address is not somewhere a browser can go).
  process.stdout.write(`Open ${browsable(url)}/\n`);
  const signal = await signalled;
  logger.info({ signal }, "shutting down");
  await runtime.stop();
  logger.flush();
  return EXIT.ok;
}

/**
 * The first SIGTERM or SIGINT. A second one while stopping is said and waited out, never Node's
 * default of ending at once (in-flight checks and delivery cut off); SIGHUP, which ends a process by
 * default (a closed terminal, an operator expecting a reload), is said and ignored: nothing reloads.
 */
function stopSignal(logger: ReturnType<typeof createLogger>, drainTimeoutMs: number): Promise<NodeJS.Signals> {
  process.on("SIGHUP", () =>
    logger.warn({ signal: "SIGHUP" }, "SIGHUP ignored: the runtime does not reload (secret files and the routing keys file are re-read on their own); to load another artifact or WK_* settings, restart it (SIGTERM, then start it again)"),
  );
  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, `already stopping: in-flight checks, then delivery, get up to ${drainTimeoutMs} ms each (WK_DRAIN_TIMEOUT); SIGKILL ends the process at once`);
        return;
      }
      stopping = true;
      done(signal);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

/**
 * `--redis` (or WATCHKEEPER_REDIS_URL) makes this process a replica: Redis store, BullMQ
 * scheduling. A wrong URL or credentials stop it at start, naming the URL without its password.
 * Without Redis, monitors with `locations` are warned about: embedded mode is the one location `local`.
 */
async function scaleOutOf(args: RunArgs, redisUrl: string, artifact: LoadedArtifact, logger: ReturnType<typeof createLogger>, stalledIntervalMs: number | null): Promise<ScaleOut | null> {
  const location = args.location ?? DEFAULT_LOCATION;
  if (!isLocationName(location)) throw new UserError(`--location must be lowercase letters, digits and dashes, got ${JSON.stringify(location)}`, EXIT.usage);
  if (!redisUrl) {
    if (args.location !== undefined) throw new UserError("--location needs --redis: an embedded runtime is the one location `local`", EXIT.usage);
    // Given alone, the operator meant a replica: running embedded would split the work without a word.
    if (args["redis-prefix"] !== undefined) throw new UserError("--redis-prefix needs --redis (or WATCHKEEPER_REDIS_URL): without Redis the runtime is embedded and has no keys to prefix", EXIT.usage, "give the Redis URL with --redis or WATCHKEEPER_REDIS_URL, or leave --redis-prefix out to run embedded");
    for (const m of artifact.manifest.monitors) {
      const locations = locationsOf(m).filter((l) => l !== DEFAULT_LOCATION);
      if (locations.length > 0) {
        logger.warn({ monitorId: m.id, locations }, `monitor ${m.id} names locations ${locations.join(", ")}: embedded mode probes from ${DEFAULT_LOCATION} only (run replicas with --redis and --location)`);
      }
    }
    return null;
  }
  const prefix = args["redis-prefix"] ?? "wk";
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new UserError(`--redis-prefix must be letters, digits, _ . or -, got ${JSON.stringify(prefix)}`, EXIT.usage);
  // Loaded only for a replica: BullMQ and ioredis are a fifth of an embedded runtime's memory.
  const { openScaleOut, RedisConnectError } = await import("../../runtime/scale-out/index.js");
  try {
    return await openScaleOut(artifact.manifest, {
      url: redisUrl,
      prefix,
      location,
      ...(stalledIntervalMs !== null ? { stalledIntervalMs: Math.max(500, stalledIntervalMs) } : {}),
    });
  } catch (error) {
    if (error instanceof RedisConnectError) throw new UserError(`refusing to start: ${error.message}`, EXIT.findings, "check the URL, the password and that Redis runs there");
    throw error;
  }
}

/** The password of a URL such as redis://:PASSWORD@host:6379/0, decoded and as written, when it has one. */
export function urlPassword(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const raw = new URL(url).password;
  if (raw === "") return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape: the text as written is what could appear.
  }
  return [...new Set([raw, decoded])].filter((p) => p.length >= 4);
}

/** The listening URL as a browser on this machine can open it: 0.0.0.0 and :: become localhost. */
export function browsable(url: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\]|::)(?=:\d|\/|$)/, "$1localhost").replace(/\/+$/, "");
}

/** What `wk run` takes from WK_* variables, each already checked. */
export interface RunSettings {
  logLevel: string;
  concurrency: number;
  spreadMs: number;
  /** WK_STALL_INTERVAL; null: the scheduler's default. */
  stalledIntervalMs: number | null;
  /** WK_DRAIN_TIMEOUT: how long a stop waits for in-flight checks, and then for delivery. */
  drainTimeoutMs: number;
  secretsDir: string | null;
  /** WK_ALLOWED_HOSTS: host names the views answer to beyond the built-in ones (runtime/http/host-check.ts). */
  allowedHosts: string[];
  delivery: Settings;
  inbound: InboundSettings;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
/** The longest timer Node keeps: a longer one fires at once, so a larger setting would spin. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The routing keys file judged for the services that take their PagerDuty key from it (those
 * without a `routingKey` secret), before anything starts. Only the file's name and what is wrong
 * with it are said, never a key.
 */
function routingKeysAtStart(artifact: LoadedArtifact, file: string, named: boolean): RoutingKeysVerdict | null {
  const services = artifact.manifest.services.filter((s) => s.routingKey === null).map((s) => s.id);
  return routingKeysVerdict(new KeyFile(file).read(), file, services, named);
}

/**
 * Reads and checks every WK_* setting of `wk run` before anything starts: a value it cannot take
 * is refused, naming the variable and what it takes, never read as the default. An empty variable
 * counts as not set (a deployment that sets `VAR: ""` means the default).
 */
export function settingsFromEnv(env: Record<string, string | undefined>): RunSettings {
  const set = (value: string | undefined): string | undefined => (value === "" ? undefined : value);
  const logLevel = set(env.WK_LOG_LEVEL) ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new UserError(`WK_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const logFormat = set(env.WK_LOG_FORMAT);
  if (logFormat !== undefined && logFormat !== "json" && logFormat !== "pretty") throw new UserError(`WK_LOG_FORMAT must be json or pretty, got ${JSON.stringify(logFormat)}`);
  for (const [name, url] of [["WK_PAGERDUTY_EVENTS_URL", set(env.WK_PAGERDUTY_EVENTS_URL)], ["WK_PAGERDUTY_API_URL", set(env.WK_PAGERDUTY_API_URL)]] as const) {
    if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) throw new UserError(`${name} must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  wholeNumber(set(env.WK_SMTP_TIMEOUT_MS), "WK_SMTP_TIMEOUT_MS", MAX_TIMER_MS, "milliseconds, such as 120000");
  // Under a second, a live replica could still be recording its outcome when another takes the send over.
  const leaseMargin = wholeNumber(set(env.WK_DELIVERY_LEASE_MARGIN_MS), "WK_DELIVERY_LEASE_MARGIN_MS", MAX_TIMER_MS, "milliseconds, such as 30000");
  if (leaseMargin !== undefined && leaseMargin < 1000) throw new UserError(`WK_DELIVERY_LEASE_MARGIN_MS must be at least 1000 (milliseconds, such as 30000), got ${JSON.stringify(set(env.WK_DELIVERY_LEASE_MARGIN_MS))}`);
  const secretsDir = set(env.WK_SECRETS_DIR) ?? null;
  if (secretsDir !== null && !isFolder(secretsDir)) {
    throw new UserError(`WK_SECRETS_DIR must name a folder of secret files, got ${JSON.stringify(secretsDir)}, which is not a folder`, EXIT.findings, "mount the secrets there, or unset WK_SECRETS_DIR to read secrets from the environment only");
  }
  const stall = set(env.WK_STALL_INTERVAL);
  let inbound: InboundSettings;
  try {
    inbound = inboundSettingsFromEnv(env);
  } catch (error) {
    if (error instanceof InboundSettingError) throw new UserError(error.message);
    throw error;
  }
  return {
    logLevel,
    concurrency: wholeNumber(set(env.WK_CONCURRENCY), "WK_CONCURRENCY", Number.MAX_SAFE_INTEGER, "checks at once, such as 256") ?? 256,
    spreadMs: durationOrThrow(set(env.WK_SPREAD) ?? "30s", "WK_SPREAD", "30s or 0s"),
    stalledIntervalMs: stall === undefined ? null : durationOrThrow(stall, "WK_STALL_INTERVAL", "5s", MAX_TIMER_MS),
    drainTimeoutMs: durationOrThrow(set(env.WK_DRAIN_TIMEOUT) ?? "10s", "WK_DRAIN_TIMEOUT", "10s", MAX_TIMER_MS),
    secretsDir,
    allowedHosts: hostNames(set(env.WK_ALLOWED_HOSTS)),
    delivery: deliverySettingsFromEnv(env),
    inbound,
  };
}

/**
 * The variables watchkeeper reads: `wk run`'s, and those of the commands it may run first or that
 * share an image with it (set beside `wk run`, they are not mistakes).
 */
const KNOWN_VARIABLES = [
  "WK_ALLOWED_HOSTS", "WK_CONCURRENCY", "WK_DELIVERY_LEASE_MARGIN_MS", "WK_DRAIN_TIMEOUT", "WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS",
  "WK_LOG_FORMAT", "WK_LOG_LEVEL", "WK_PAGERDUTY_API_URL", "WK_PAGERDUTY_EVENTS_URL", "WK_PAGERDUTY_SERVICE_IDS_FILE",
  "WK_ROUTING_KEYS_FILE", "WK_SECRETS_DIR", "WK_SMTP_TIMEOUT_MS", "WK_SPREAD", "WK_STALL_INTERVAL", "WK_TRUST_PROXY",
  "WATCHKEEPER_REDIS_URL", "WATCHKEEPER_API_TOKEN",
  "WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "WK_PLAN_CACHE", "WK_PULUMI_BIN",
];

/** What Kubernetes sets for each Service in the namespace (a Service "wk" gives WK_SERVICE_HOST, WK_PORT_8080_TCP, ...). */
const SERVICE_LINK = /^(?:WK|WATCHKEEPER)(?:_[A-Z0-9_]*)?_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT(?:_\d+_(?:TCP|UDP|SCTP)(?:_(?:ADDR|PORT|PROTO))?)?)$/;

const stemOf = (name: string): string => name.toUpperCase().replace(/^(?:WK|WATCHKEEPER)_/, "");

/**
 * WK_* and WATCHKEEPER_* variables that watchkeeper does not read but that are a near miss of one
 * it does (WK_CONCURENCY, WK_REDIS_URL): set, they would be ignored without a word and the runtime
 * would run on the default. Declared secrets and Kubernetes' service links are not settings.
 */
export function nearMissVariables(env: Record<string, string | undefined>, declared: readonly string[]): Array<{ name: string; meant: string }> {
  const found: Array<{ name: string; meant: string }> = [];
  for (const name of Object.keys(env).sort()) {
    if (!/^(?:WK|WATCHKEEPER)_/i.test(name) || KNOWN_VARIABLES.includes(name) || declared.includes(name)) continue;
    if (SERVICE_LINK.test(name.toUpperCase())) continue;
    const stem = stemOf(name);
    const scored = KNOWN_VARIABLES.map((known) => {
      const k = stemOf(known);
      // The same words under the other prefix or case, one or two letters off, or a unit tacked on (WK_DRAIN_TIMEOUT_MS).
      if (k === stem) return { known, d: 0 };
      const [short, long] = k.length <= stem.length ? [k, stem] : [stem, k];
      if (short.length >= 5 && (long.startsWith(`${short}_`) || long.endsWith(`_${short}`))) return { known, d: 1 };
      return { known, d: distance(stem, k) <= (k.length >= 8 ? 2 : 1) ? distance(stem, k) : Infinity };
    }).filter((x) => x.d < Infinity);
    const best = scored.sort((a, b) => a.d - b.d)[0];
    if (best !== undefined) found.push({ name, meant: best.known });
  }
  return found;
}

/** A DNS name as a Host header carries it, without a port: labels of letters, digits and hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** WK_ALLOWED_HOSTS: comma-separated host names; each must be one, or the variable is refused by entry. */
function hostNames(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const bad = names.find((name) => !HOST_NAME.test(name));
  if (bad !== undefined) {
    throw new UserError(
      `WK_ALLOWED_HOSTS must list host names separated by commas, such as watchkeeper.corp.example,status.example.com; ${JSON.stringify(bad.slice(0, 200))} is not one`,
      EXIT.findings,
      "give names only: no scheme, port, path or wildcard (IP addresses, localhost and Kubernetes service names are answered without being listed)",
    );
  }
  return names.map((name) => name.toLowerCase());
}

function wholeNumber(text: string | undefined, name: string, max: number, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const range = max === Number.MAX_SAFE_INTEGER ? "of at least 1" : `from 1 to ${max}`;
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UserError(`${name} must be a whole number ${range} (${what}), got ${JSON.stringify(text)}`);
  return n;
}

function durationOrThrow(text: string, name: string, example: string, max = Infinity): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms > max) throw new UserError(`${name} must be a duration such as ${example}${max < Infinity ? `, at most ${max} ms` : ""}, got ${JSON.stringify(text)}`);
  return ms;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The process that pages must outlive a script check's stray rejection or a throw from one of its
 * timers: such errors are logged (the logger redacts secrets) and the runtime keeps running,
 * instead of the CLI's default of reporting a bug and exiting.
 */
function keepPagingThroughStrayErrors(logger: ReturnType<typeof createLogger>): void {
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (error) => logger.error({ err: error }, "unhandled rejection; the runtime keeps running"));
  process.on("uncaughtException", (error) => logger.error({ err: error }, "uncaught exception; the runtime keeps running"));
}

type Settings = ReturnType<typeof deliverySettingsFromEnv>;
/** A replica's delivery, or null when the store it is given is not the Redis store. */
type QueuedDeliveryFactory = (deps: DeliveryDeps, settings: Settings) => DeliveryService | null;

/** Replicas: delivery as BullMQ jobs over the Redis store's lanes, rate-limited per destination across every replica. */
async function queuedDeliveryOf(redisUrl: string, prefix: string): Promise<QueuedDeliveryFactory> {
  const [{ createQueuedDelivery }, { RedisRateGate }, { RedisStore }] = await Promise.all([
    import("../../runtime/notify/queued-delivery.js"),
    import("../../runtime/store/redis/rate-gate.js"),
    import("../../runtime/store/redis/redis-store.js"),
  ]);
  return (deps, settings) => {
    if (!(deps.store instanceof RedisStore)) return null;
    const limiter = new RedisRateGate(deps.store.redis, { prefix });
    return createQueuedDelivery(deps, { redisUrl, prefix, lanes: deps.store, limiter, settings });
  };
}

/** Embedded: the in-process pipeline over SQLite; replicas: the queued one. */
function deliveryFor(deps: DeliveryDeps, queued: QueuedDeliveryFactory | null, settings: Settings): DeliveryService {
  return queued?.(deps, settings) ?? createDelivery(deps, { settings });
}
