import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "../../test/runtime/support/manifest.js";
import { EXIT, UserError } from "../errors.js";
import { nearMissVariables, run, settingsFromEnv, urlPassword } from "./run.js";

/** What `wk run` refuses for each WK_* variable, and the words the refusal must carry. */
const GARBAGE: Array<[string, string, string]> = [
  ["WK_LOG_LEVEL", "abc", "must be one of fatal, error, warn, info, debug, trace, silent"],
  ["WK_LOG_LEVEL", "INFO ", "must be one of"],
  ["WK_LOG_FORMAT", "yaml", "must be json or pretty"],
  ["WK_CONCURRENCY", "10s", "must be a whole number of at least 1"],
  ["WK_CONCURRENCY", "0x10", "must be a whole number"],
  ["WK_CONCURRENCY", "1e309", "must be a whole number"],
  ["WK_SPREAD", "-1", "must be a duration such as 30s or 0s"],
  ["WK_STALL_INTERVAL", "abc", "must be a duration such as 5s"],
  ["WK_STALL_INTERVAL", "999d", "at most 2147483647 ms"],
  ["WK_SMTP_TIMEOUT_MS", "10s", "must be a whole number from 1 to 2147483647"],
  ["WK_SMTP_TIMEOUT_MS", "-1", "must be a whole number"],
  ["WK_DELIVERY_LEASE_MARGIN_MS", "30s", "must be a whole number from 1 to 2147483647"],
  ["WK_DELIVERY_LEASE_MARGIN_MS", "500", "must be at least 1000"],
  ["WK_DRAIN_TIMEOUT", "soon", "must be a duration such as 10s"],
  ["WK_DRAIN_TIMEOUT", "999d", "at most 2147483647 ms"],
  ["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS", "abc", "must be a whole number of milliseconds"],
  ["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS", "-1", "must be a whole number of milliseconds"],
  ["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS", "1e309", "must be a whole number of milliseconds"],
  ["WK_TRUST_PROXY", "true", "must be 1 (behind a proxy that sets X-Forwarded-For) or 0"],
  ["WK_PAGERDUTY_EVENTS_URL", "events.pagerduty.com", "must be an http:// or https:// URL"],
  ["WK_PAGERDUTY_API_URL", "ftp://api.pagerduty.com", "must be an http:// or https:// URL"],
  ["WK_SECRETS_DIR", "/nonexistent/secrets", "must name a folder of secret files"],
  ["WK_ALLOWED_HOSTS", "https://wk.corp.example", "must list host names separated by commas"],
  ["WK_ALLOWED_HOSTS", "*.corp.example", "is not one"],
  ["WK_ALLOWED_HOSTS", "wk.corp.example:8080", "must list host names"],
];

describe("wk run refuses a WK_* setting it cannot take, naming the variable, before anything starts", () => {
  let dir = "";
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-run-settings-"));
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(GARBAGE)("%s=%j", async (name, value, says) => {
    process.env[name] = value;
    // No artifact is there: a setting read late, or read as its default, would fail on the artifact instead.
    const refusal = await run({ artifact: join(dir, "no-artifact"), state: join(dir, "state"), port: 0 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UserError);
    expect((refusal as UserError).message).toContain(`${name} must`);
    expect((refusal as UserError).message).toContain(says);
    expect((refusal as UserError).message).toContain(JSON.stringify(value));
  });

  it("takes an empty variable as not set, and each documented value", () => {
    const settings = settingsFromEnv({
      WK_LOG_LEVEL: "",
      WK_CONCURRENCY: "",
      WK_SPREAD: "",
      WK_TRUST_PROXY: "",
      WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS: "",
      WK_SMTP_TIMEOUT_MS: "",
      WK_SECRETS_DIR: "",
      WK_PAGERDUTY_EVENTS_URL: "",
    });
    expect(settings).toMatchObject({ logLevel: "info", concurrency: 256, spreadMs: 30_000, stalledIntervalMs: null, drainTimeoutMs: 10_000, secretsDir: null });
    expect(settings.inbound).toMatchObject({ emergencyDiagnosticsTimeoutMs: 8_000, trustProxy: false });
    const set = settingsFromEnv({
      WK_LOG_LEVEL: "debug",
      WK_LOG_FORMAT: "pretty",
      WK_CONCURRENCY: "64",
      WK_SPREAD: "0s",
      WK_STALL_INTERVAL: "5s",
      WK_TRUST_PROXY: "1",
      WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS: "3000",
      WK_SMTP_TIMEOUT_MS: "60000",
      WK_DELIVERY_LEASE_MARGIN_MS: "5000",
      WK_DRAIN_TIMEOUT: "3s",
      WK_PAGERDUTY_EVENTS_URL: "http://127.0.0.1:9999",
      WK_SECRETS_DIR: dir,
      WK_ALLOWED_HOSTS: " WK.corp.example , status.example.com,",
    });
    expect(set).toMatchObject({ logLevel: "debug", concurrency: 64, spreadMs: 0, stalledIntervalMs: 5_000, secretsDir: dir, allowedHosts: ["wk.corp.example", "status.example.com"] });
    expect(set.inbound).toMatchObject({ emergencyDiagnosticsTimeoutMs: 3_000, trustProxy: true });
    expect(set.delivery).toMatchObject({ smtpTimeoutMs: 60_000, deliveryLeaseMarginMs: 5_000, pagerDutyEventsUrl: "http://127.0.0.1:9999" });
    expect(set.drainTimeoutMs).toBe(3_000);
  });

  it("refuses to start when a declared secret's file is a folder, naming the file, not as a secret merely not set", async () => {
    const artifact = join(dir, "artifact");
    await writeArtifact(artifact, manifestOf([monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })], ["ROUTING_KEY"]));
    const secrets = join(dir, "secrets");
    await mkdir(join(secrets, "ROUTING_KEY"), { recursive: true });
    process.env.WK_SECRETS_DIR = secrets;
    delete process.env.ROUTING_KEY;
    const refusal = await run({ artifact, state: join(dir, "state"), port: 0, strictSecrets: true }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UserError);
    expect((refusal as UserError).exitCode).toBe(EXIT.findings);
    expect((refusal as UserError).message).toBe(`refusing to start: the secret file ${join(secrets, "ROUTING_KEY")} is a folder, not a file`);
    expect((refusal as UserError).hint).toContain("WK_SECRETS_DIR");
  });
});

describe("the Redis URL's password is redacted on its own too", () => {
  it("as written and decoded, and nothing for a URL without one", () => {
    expect(urlPassword("redis://:s3cr%40t-pass@redis:6379/0")).toEqual(["s3cr%40t-pass", "s3cr@t-pass"]);
    expect(urlPassword("redis://user:plainpass@redis:6379")).toEqual(["plainpass"]);
    expect(urlPassword("redis://redis:6379")).toEqual([]);
    expect(urlPassword("not a url")).toEqual([]);
  });
});

describe("nearMissVariables: a WK_* variable wk run does not read, near one it does", () => {
  it("names the one meant: a letter off, a unit tacked on, the other prefix, the other case", () => {
    const env = { WK_SECRET_DIR: "/s", WK_DRAIN_TIMEOUT_MS: "10000", WK_REDIS_URL: "redis://r", wk_log_level: "debug", WATCHKEEPER_SPREAD: "0s" };
    expect(nearMissVariables(env, [])).toEqual([
      { name: "WATCHKEEPER_SPREAD", meant: "WK_SPREAD" },
      { name: "WK_DRAIN_TIMEOUT_MS", meant: "WK_DRAIN_TIMEOUT" },
      { name: "WK_REDIS_URL", meant: "WATCHKEEPER_REDIS_URL" },
      { name: "WK_SECRET_DIR", meant: "WK_SECRETS_DIR" },
      { name: "wk_log_level", meant: "WK_LOG_LEVEL" },
    ]);
  });

  it("says nothing of the ones it reads, declared secrets, Kubernetes' service links or names near none", () => {
    const env = { WK_CONCURRENCY: "4", WK_CACHE: "off", WK_SLACK_TOKEN: "x", WK_CONCURENCY: "4", WK_SERVICE_HOST: "10.0.0.1", WK_PORT: "tcp://10.0.0.1:80", WK_REDIS_PORT_6379_TCP_PROTO: "tcp", WK_TEAM_NAME: "sre", PATH: "/bin" };
    expect(nearMissVariables(env, ["WK_SLACK_TOKEN", "WK_CONCURENCY"])).toEqual([]);
  });
});
