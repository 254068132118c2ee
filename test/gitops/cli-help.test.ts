import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { ensureBuild, ROOT, wk } from "./cli-process.js";

/**
 * What each command reads from the environment, read off the code (`env.X`, `env["X"]`, and the
 * runtime's own secrets, which come from a variable or a file in WK_SECRETS_DIR). Commands that
 * compile a project read WK_LOAD_TIMEOUT; plan and deploy reach the Pulumi workspace.
 */
const READS: Record<string, string[]> = {
  validate: ["WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME"],
  compile: ["WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME"],
  init: [],
  run: [
    "WK_LOG_LEVEL",
    "WK_LOG_FORMAT",
    "WK_SECRETS_DIR",
    "WK_CONCURRENCY",
    "WK_SPREAD",
    "WATCHKEEPER_REDIS_URL",
    "WK_STALL_INTERVAL",
    "WK_DRAIN_TIMEOUT",
    "WK_DELIVERY_LEASE_MARGIN_MS",
    "WK_ROUTING_KEYS_FILE",
    "WK_PAGERDUTY_SERVICE_IDS_FILE",
    "WK_PAGERDUTY_EVENTS_URL",
    "WK_PAGERDUTY_API_URL",
    "WK_SMTP_TIMEOUT_MS",
    "WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS",
    "WK_TRUST_PROXY",
    "WK_ALLOWED_HOSTS",
    "WATCHKEEPER_API_TOKEN",
    "PAGERDUTY_WEBHOOK_SECRET",
    "WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME",
  ],
  test: ["WK_SECRETS_DIR", "WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME", "NO_COLOR"],
  plan: ["WK_PLAN_CACHE", "WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME", "NO_COLOR", "WK_PULUMI_BIN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PAGERDUTY_TOKEN"],
  deploy: [
    "PAGERDUTY_TOKEN",
    "PAGERDUTY_SERVICE_REGION",
    "PAGERDUTY_API_URL_OVERRIDE",
    "WK_PULUMI_BIN",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME",
  ],
  dev: [],
  import: [],
  completion: ["SHELL"],
  simulate: ["WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME"],
  oncall: ["WK_LOAD_TIMEOUT", "WK_CACHE", "WK_CACHE_DIR", "XDG_CACHE_HOME"],
};

/** Every variable name the shipped code reads, and every name it mentions at all. */
function scanSources(): { read: Set<string>; mentioned: string } {
  const read = new Set<string>();
  let mentioned = "";
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "fixtures") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts")) {
        const text = readFileSync(path, "utf8");
        mentioned += text;
        for (const m of text.matchAll(/env(?:\.|\[\s*["'])([A-Z][A-Z0-9_]*)/g)) read.add(m[1]!);
        // The runtime's own secrets: read from a variable of that name (or a file in WK_SECRETS_DIR).
        for (const m of text.matchAll(/const \w+_SECRET = "([A-Z][A-Z0-9_]*)"/g)) read.add(m[1]!);
      }
    }
  };
  for (const part of ["cli", "runtime", "infra", "sdk"]) walk(join(ROOT, part));
  read.delete("PATH");
  // Handed on to tsc on Windows, as the system sets it: not a setting anyone chooses.
  read.delete("SYSTEMROOT");
  return { read, mentioned };
}

const environmentSection = (help: string) => help.slice(help.indexOf("Environment:"));
const listedVariables = (help: string) => [...environmentSection(help).matchAll(/^ {2}([A-Z][A-Z0-9_]+) /gm)].map((m) => m[1]!);

describe("every command's --help shows examples and the environment it reads", () => {
  const helps = new Map<string, string>();

  beforeAll(async () => {
    ensureBuild();
    for (const command of Object.keys(READS)) {
      const ran = await wk([command, "--help"]);
      expect(ran.code, ran.stderr).toBe(EXIT.ok);
      helps.set(command, ran.stdout);
    }
  });

  it("wk --help lists every command", async () => {
    const ran = await wk(["--help"]);
    for (const command of Object.keys(READS)) expect(ran.stdout).toMatch(new RegExp(`^ {2}wk ${command}\\b`, "m"));
  });

  it.each(Object.keys(READS))("wk %s --help has an example of the command", (command) => {
    const help = helps.get(command)!;
    const examples = help.slice(help.indexOf("Examples:"), help.indexOf("Environment"));
    expect(help).toContain("Examples:");
    expect(examples).toMatch(new RegExp(`^ {2}(\\S+=\\S+ )?wk ${command}\\b`, "m"));
  });

  it.each(Object.keys(READS))("wk %s --help lists exactly the variables the command reads", (command) => {
    const help = helps.get(command)!;
    expect(help).toContain("Environment:");
    expect(listedVariables(help).sort()).toEqual([...READS[command]!].sort());
    if (READS[command]!.length === 0) expect(environmentSection(help)).toMatch(/none read by this command/);
  });

  it("every variable the code reads is documented in some command's --help, and none that it does not", () => {
    const { read, mentioned } = scanSources();
    // The scan itself must see what it is meant to see, or this test proves nothing.
    expect([...read]).toEqual(expect.arrayContaining(["WK_SPREAD", "WK_ROUTING_KEYS_FILE", "PAGERDUTY_TOKEN", "WATCHKEEPER_API_TOKEN", "SHELL"]));
    const documented = new Set([...helps.values()].flatMap(listedVariables));
    expect([...read].filter((name) => !documented.has(name)), "read by the code but in no --help").toEqual([]);
    expect([...documented].filter((name) => !mentioned.includes(`"${name}"`) && !mentioned.includes(`.${name}`)), "in a --help but not read").toEqual([]);
  });
});

describe("help is laid out only when asked for", () => {
  it("yargs still has the layout before a handler that cli/main.ts skips without --help", async () => {
    const yargs = (await import("yargs")).default;
    const internals = (yargs([]) as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage: unknown } } }).getInternalMethods();
    // If this fails, a yargs upgrade renamed it: every command lays out its help again (slower, not wrong).
    expect(typeof internals.getUsageInstance().cacheHelpMessage).toBe("function");
  });

  it("asking for JSON with the other command's spelling names the right one, and stdout is a JSON refusal", async () => {
    ensureBuild();
    const simulate = await wk(["simulate", "--at", "2026-01-01T00:00Z", "--monitor", "x", "--json"]);
    expect(simulate.code).toBe(EXIT.usage);
    expect(simulate.stderr).toBe("error: Unknown argument: json\nhint: `wk simulate` prints JSON with --format json\n");
    expect(JSON.parse(simulate.stdout)).toMatchObject({ ok: false, error: { message: "Unknown argument: json", exitCode: EXIT.usage } });
    const validate = await wk(["validate", "--format", "json"]);
    expect(validate.stderr).toBe("error: Unknown argument: format\nhint: `wk validate` prints JSON with --json\n");
  });

  it("a usage error is still one line and a hint, and --version still answers", async () => {
    ensureBuild();
    const bad = await wk(["validate", "--bogus"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/^error: Unknown argument: bogus\nhint: /);
    // yargs' own messages in the user's language used to leak through ("Meintest du plan?").
    const typo = await wk(["plna"], { env: { LANG: "de_DE.UTF-8", LC_ALL: "de_DE.UTF-8" } });
    expect(typo.stderr).toBe("error: unknown command: plna\nhint: did you mean `wk plan`? `wk --help` lists the commands\n");
    const version = await wk(["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});

describe("the CLI's entry from its sources", () => {
  it("sets up (version included) when run in process from cli/main.ts, not only from the build", async () => {
    const { main } = await import("../../cli/main.js");
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
    const exitCode = process.exitCode;
    try {
      await main(["plna"]);
    } finally {
      spy.mockRestore();
      process.exitCode = exitCode;
    }
    expect(err.join("")).toContain("error: unknown command: plna");
  });
});
