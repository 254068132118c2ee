/**
 * A runtime process for cross-process tests and the benchmark: loads an artifact folder and runs
 * it like `wk run`, configured by environment variables. WK_CHILD_DELIVERY=hold installs a delivery
 * that never dispatches (intents stay in the outbox), to stop a process between write and send;
 * WK_CHILD_DELIVERY=full installs the real notification pipeline and its routes (silences,
 * emergency page, webhooks), as `wk run` does;
 * WK_CHILD_LAGS=FILE records [time, scheduling lag ms] pairs there at shutdown.
 * WK_CHILD_REDIS=URL makes it a scale-out replica (WK_CHILD_REDIS_PREFIX, WK_CHILD_LOCATION,
 * WK_CHILD_STALL_MS), as `wk run --redis` does.
 */
import { writeFileSync } from "node:fs";
import { loadArtifact } from "../../../runtime/artifact.js";
import { createRuntime } from "../../../runtime/app.js";
import { createLogger } from "../../../runtime/logger.js";
import type { DeliveryFactory } from "../../../runtime/notify/contract.js";
import { createDelivery, deliverySettingsFromEnv } from "../../../runtime/notify/index.js";
import { createSecretSource } from "../../../runtime/secrets.js";
import { openScaleOut } from "../../../runtime/scale-out/index.js";

const env = process.env;
const artifact = await loadArtifact(env.WK_CHILD_ARTIFACT!);
const secrets = createSecretSource({ declared: artifact.manifest.secrets, env, dir: env.WK_SECRETS_DIR || null, now: Date.now });
const logger = createLogger({ level: env.WK_LOG_LEVEL ?? "info", secretValues: () => secrets.values() });
const hold: DeliveryFactory = () => ({ start() {}, async stop() {}, registerRoutes() {} });
const lags: Array<[number, number]> = [];

const scaleOut = env.WK_CHILD_REDIS
  ? await openScaleOut(artifact.manifest, {
      url: env.WK_CHILD_REDIS,
      prefix: env.WK_CHILD_REDIS_PREFIX ?? "wk",
      location: env.WK_CHILD_LOCATION ?? "local",
      ...(env.WK_CHILD_STALL_MS ? { stalledIntervalMs: Number(env.WK_CHILD_STALL_MS) } : {}),
    })
  : null;

const runtime = await createRuntime({
  manifest: artifact.manifest,
  bundle: artifact.bundle,
  stateDir: env.WK_CHILD_STATE!,
  logger,
  secrets,
  port: 0,
  host: "127.0.0.1",
  spreadMs: Number(env.WK_CHILD_SPREAD_MS ?? "0"),
  concurrency: Number(env.WK_CHILD_CONCURRENCY ?? "64"),
  ...(env.WK_CHILD_DELIVERY === "hold" ? { delivery: hold } : {}),
  ...(env.WK_CHILD_DELIVERY === "full" ? { delivery: ((deps) => createDelivery(deps, { settings: deliverySettingsFromEnv(env) })) satisfies DeliveryFactory } : {}),
  ...(scaleOut ?? {}),
  ...(env.WK_CHILD_LAGS ? { onLag: (ms: number) => void lags.push([Date.now(), ms]) } : {}),
});
const url = await runtime.start();
process.stderr.write(`READY ${url}\n`);
const stop = async () => {
  await runtime.stop();
  // A file, written synchronously: a pipe write right before exit may be cut short.
  if (env.WK_CHILD_LAGS) writeFileSync(env.WK_CHILD_LAGS, JSON.stringify(lags));
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
