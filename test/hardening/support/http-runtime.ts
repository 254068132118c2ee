import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createRuntime, type Runtime } from "../../../runtime/app.js";
import { createLogger } from "../../../runtime/logger.js";
import { createDelivery, deliverySettingsFromEnv } from "../../../runtime/notify/index.js";
import { inboundSettingsFromEnv } from "../../../runtime/inbound/routes.js";
import { createSecretSource } from "../../../runtime/secrets.js";
import { DEFAULT_RUNTIME_SETTINGS, type Manifest, type MonitorSpec, type RuntimeSettings } from "../../../sdk/manifest/schema.js";
import { manifestOf } from "../../runtime/support/manifest.js";

/** A whole runtime in this process, with the real notification pipeline and all its routes. */
export interface HttpRuntime {
  url: string;
  runtime: Runtime;
  manifest: Manifest;
  /** Every log line written so far (JSON, as `wk run` writes them). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startHttpRuntime(o: {
  monitors: MonitorSpec[];
  env?: Record<string, string>;
  secrets?: string[];
  runtime?: Partial<RuntimeSettings>;
  publicUrl?: string | null;
  /** A folder of secret files, as WK_SECRETS_DIR names it. */
  secretsDir?: string;
}): Promise<HttpRuntime> {
  const dir = await mkdtemp(join(tmpdir(), "wk-http-"));
  await mkdir(join(dir, "state"), { recursive: true });
  const sealed = manifestOf(o.monitors, o.secrets ?? []);
  const manifest: Manifest = {
    ...sealed,
    settings: { ...sealed.settings, publicUrl: o.publicUrl ?? null, runtime: { ...DEFAULT_RUNTIME_SETTINGS, ...o.runtime } },
  };
  const env = { WK_PAGERDUTY_EVENTS_URL: "http://127.0.0.1:9/v2/enqueue", WK_PAGERDUTY_API_URL: "http://127.0.0.1:9", ...o.env };
  const secrets = createSecretSource({ declared: manifest.secrets, env, dir: o.secretsDir ?? null, now: Date.now });
  let logs = "";
  const destination = new Writable({
    write(chunk, _e, done) {
      logs += String(chunk);
      done();
    },
  });
  const runtime = await createRuntime({
    manifest,
    bundle: {},
    stateDir: join(dir, "state"),
    logger: createLogger({ secretValues: () => secrets.values(), destination, level: "debug" }),
    secrets,
    delivery: (deps) => createDelivery(deps, { settings: deliverySettingsFromEnv(env) }),
    inbound: { settings: inboundSettingsFromEnv(env) },
    port: 0,
    host: "127.0.0.1",
    spreadMs: 0,
  });
  const url = await runtime.start();
  return {
    url,
    runtime,
    manifest,
    logs: () => logs,
    async stop() {
      await runtime.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
