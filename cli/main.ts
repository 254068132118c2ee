import { readFileSync } from "node:fs";
import yargs, { type Argv } from "yargs";
import { withHelp } from "./command-help.js";
import { dropOutputToClosedPipe, EXIT, reportError, UserError } from "./errors.js";
import { visible, visibleJson } from "./visible-text.js";
import { inScratchFolder } from "./scratch-folder.js";
import { distance, nearIds } from "./near-ids.js";
import { environmentFailure } from "./system-error.js";
import { redactUrl } from "../runtime/redact-url.js";

/**
 * The CLI entry. Each command's implementation is a plain async function in `commands/NAME.ts`,
 * loaded only when that command runs, returning the process exit code.
 */
type CommandModule = { run(args: Record<string, unknown>): Promise<number> };

/**
 * Commands whose temporary folders are removed even when Ctrl-C or a kill ends them
 * (scratch-folder.ts). `run` and `dev` stop gracefully on those signals themselves, and `deploy`
 * leaves them to Pulumi, which cancels an update cleanly.
 */
const SCRATCH_COMMANDS = new Set(["validate", "compile", "plan", "test", "simulate", "oncall", "import"]);

function lazy(name: string) {
  return async (args: Record<string, unknown>) => {
    refuseIgnoredWords(args);
    refuseRepeatedOptions(args);
    refuseEmptyValues(args);
    const mod = (await import(`./commands/${name}.js`)) as CommandModule;
    process.exitCode = SCRATCH_COMMANDS.has(name) ? await inScratchFolder(() => mod.run(args)) : await mod.run(args);
  };
}

/**
 * yargs reads the words after `--` into no option or positional: `wk init --force -- my-dir` would
 * scaffold into the current folder, and `wk test -- ID` would list the monitors instead of testing
 * one. Such a word is refused rather than dropped without a word.
 */
function refuseIgnoredWords(args: Record<string, unknown>): void {
  const words = Array.isArray(args["_"]) ? args["_"].slice(1).map(String) : [];
  if (words.length === 0) return;
  const dashed = words.find((w) => w.startsWith("-"));
  throw new UserError(
    `${words.map((w) => visible(JSON.stringify(w))).join(", ")} after \`--\` ${words.length === 1 ? "is" : "are"} not read by any argument`,
    EXIT.usage,
    dashed !== undefined ? `leave out \`--\`; name a path that starts with a dash as ./${dashed}` : "leave out `--`: the command reads its arguments without it",
  );
}

/**
 * An option given twice (`--state a --state b`: a line pasted under one that was already there)
 * reaches the command as a list, which no option of a single value takes: it ended in an internal
 * error, or `--host` listened on an address neither value names. It is refused, naming both
 * values (URLs without their credentials), rather than one of them picked.
 */
function refuseRepeatedOptions(args: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(args)) {
    if (key === "_" || key === "$0" || /[A-Z]/.test(key) || POSITIONALS.has(key) || !Array.isArray(value)) continue;
    const values = value.map((v) => visible(JSON.stringify(typeof v === "string" ? redactUrl(v) : v))).join(", ");
    throw new UserError(`--${key} is given more than once (${values}): give it once`, EXIT.usage, `remove the --${key} you did not mean`);
  }
}

/** The positional arguments, named as `wk --help` shows them; every other key is an option. */
const POSITIONALS = new Set(["dir", "monitors", "source", "rules"]);

/**
 * No option or argument has an empty default, so an empty value was typed: `--plan "$PLAN"` with
 * the variable unset, or `--out` with its value forgotten. The commands would read it as the flag
 * left out (compile would write an artifact no reviewed plan checked) or as the current folder
 * (`--ics ""` writes the feeds among the project's files), so it is refused instead.
 */
function refuseEmptyValues(args: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(args)) {
    if (key === "_" || key === "$0" || /[A-Z]/.test(key)) continue;
    if (value !== "" && !(Array.isArray(value) && value.includes(""))) continue;
    const named = POSITIONALS.has(key) ? `the <${key}> argument` : `--${key}`;
    throw new UserError(
      `${named} needs a value, got an empty one`,
      EXIT.usage,
      `an empty value (an unset shell variable?) is not read as leaving it out: give ${named} a value, or leave ${POSITIONALS.has(key) ? "it" : named} out for the default`,
    );
  }
}

const projectOption = { type: "string", default: ".", describe: "project folder (holds watchkeeper.config.ts)" } as const;

export async function main(argv: string[]): Promise<void> {
  const cli: Argv = yargs(argv)
    .scriptName("wk")
    // Every message the CLI shows is English; yargs would otherwise pick its words by LANG.
    .detectLocale(false)
    .usage("$0 <command> [options]\n\nMonitoring and on-call as code.")
    .command(
      "validate",
      "type-check and validate the project; print diagnostics",
      (y) => withHelp("validate", y).option("project", projectOption).option("json", { type: "boolean", default: false, describe: "print diagnostics as JSON" }),
      lazy("validate"),
    )
    .command(
      "compile",
      "compile the project to dist/watchkeeper/ (manifest.json + monitors.mjs)",
      (y) =>
        withHelp("compile", y)
          .option("project", projectOption)
          .option("out", { type: "string", describe: "output folder (default PROJECT/dist/watchkeeper)" })
          .option("plan", { type: "string", describe: "the reviewed plan.json (wk plan --out): write the artifact only when it is the plan's target" })
          .option("json", { type: "boolean", default: false, describe: "print diagnostics as JSON" }),
      lazy("compile"),
    )
    .command(
      "init [dir]",
      "scaffold a new project that validates and compiles out of the box",
      (y) =>
        withHelp("init", y)
          .positional("dir", { type: "string", default: ".", describe: "folder to create the project in" })
          .option("force", { type: "boolean", default: false, describe: "add the scaffold to a folder that has files; yours are kept (package.json merged, .gitignore added to, others get the scaffold's copy as NAME.wk-init)" })
          .option("from", {
            type: "string",
            describe: "the watchkeeper dependency to write (a version, or a path to a tarball or folder); default: the Watchkeeper running this command",
          })
          .option("image", {
            type: "string",
            describe: "the Watchkeeper runtime image the scaffold's Dockerfile builds FROM (default ghcr.io/watchkeeper/watchkeeper)",
          }),
      lazy("init"),
    )
    .command(
      "run",
      "run the monitors: scheduler, alert state, notifications, HTTP server",
      (y) =>
        withHelp("run", y)
          .option("project", { type: "string", describe: "compile this project first, then run it" })
          .option("artifact", { type: "string", describe: "run a compiled artifact folder (manifest.json + monitors.mjs)" })
          .option("port", { type: "number", default: 8080, describe: "HTTP port (0 picks a free one)" })
          .option("host", { type: "string", default: "0.0.0.0", describe: "HTTP bind address" })
          .option("state", { type: "string", default: ".watchkeeper", describe: "state folder (SQLite)" })
          .option("strict-secrets", { type: "boolean", default: false, describe: "refuse to start when a declared secret is not set" })
          .option("redis", { type: "string", describe: "scale out: share the work with every replica on this Redis (redis://HOST:PORT/DB); or WATCHKEEPER_REDIS_URL" })
          .option("redis-prefix", { type: "string", describe: "key prefix on Redis: replicas share work exactly when they share Redis and prefix (default wk)" })
          .option("location", { type: "string", describe: "where this replica probes from, for monitors with locations (default local)" }),
      lazy("run"),
    )
    .command(
      "test [monitors..]",
      "run the named monitors once, now, against their real targets (no ids: list them)",
      (y) =>
        withHelp("test", y)
          .positional("monitors", { type: "string", array: true, describe: "monitor ids (none: list the project's monitors)" })
          .option("project", projectOption)
          .option("json", { type: "boolean", default: false })
          .option("unit", { type: "boolean", default: false, describe: "run the project's monitor unit tests (*.wktest.ts) in simulated time" }),
      lazy("test"),
    )
    .command(
      "plan",
      "show what would change: monitors and PagerDuty resources, property by property",
      (y) =>
        withHelp("plan", y)
          .option("project", projectOption)
          .option("base", { type: "string", describe: "git ref to compare against" })
          .option("base-manifest", { type: "string", describe: "previously deployed manifest.json to compare against" })
          .option("base-stack", { type: "string", describe: "compare against what this Pulumi stack records as deployed (needs the pulumi CLI)" })
          .option("out", { type: "string", describe: "also save the plan document (e.g. plan.json) for wk deploy --plan" })
          .option("format", { choices: ["text", "markdown", "json"] as const, default: "text" })
          .option("summary", { type: "boolean", default: false, describe: "print counts per kind of resource and change instead of every change (text only)" })
          .option("detailed-exitcode", { type: "boolean", default: false, describe: "exit 4 when changes are present" }),
      lazy("plan"),
    )
    .command(
      "simulate",
      "who is paged, when: the paging timeline of a monitor failing (or a service's incident) at a given time",
      (y) =>
        withHelp("simulate", y)
          .option("project", projectOption)
          .option("monitor", { type: "string", describe: "the monitor that starts failing" })
          .option("service", { type: "string", describe: "or: an incident opened on this service directly" })
          .option("at", { type: "string", demandOption: true, describe: 'when it starts: now, ISO 8601 with an offset, or "2026-03-28T03:12 Europe/Berlin"' })
          .option("until-ack", { type: "string", describe: "someone acknowledges this long after it fires, e.g. 30m (default: nobody does)" })
          .option("spread", { type: "string", default: "30s", describe: "the runtime's WK_SPREAD, for the monitor's tick offset (0s: none)" })
          .option("tz", { type: "string", describe: "show times in this IANA zone (default: the zone in --at, else the first schedule's)" })
          .option("format", { choices: ["text", "markdown", "json"] as const, default: "text" }),
      lazy("simulate"),
    )
    .command(
      "oncall",
      "who is on call now or --at a time, per schedule, service or team; --ics writes calendar feeds",
      (y) =>
        withHelp("oncall", y)
          .option("project", projectOption)
          .option("at", { type: "string", default: "now", describe: 'the instant: now, ISO 8601 with an offset, or "2026-03-28T03:12 Europe/Berlin"' })
          .option("schedule", { type: "string", describe: "only this schedule" })
          .option("service", { type: "string", describe: "who each escalation rule of this service's policy reaches" })
          .option("team", { type: "string", describe: "the schedules and services of this team" })
          .option("ics", { type: "string", describe: "write an iCalendar feed per schedule and per person into this folder" })
          .option("window", { type: "string", default: "30d", describe: "how far from --at the --ics feeds reach" })
          .option("tz", { type: "string", describe: "show times in this IANA zone (default: each schedule's own)" })
          .option("format", { choices: ["text", "markdown", "json"] as const, default: "text" }),
      lazy("oncall"),
    )
    .command(
      "deploy",
      "apply the PagerDuty changes through Pulumi",
      (y) =>
        withHelp("deploy", y)
          .option("project", projectOption)
          .option("stack", { type: "string", default: "production" })
          .option("plan", { type: "string", describe: "the reviewed plan.json (wk plan --out): deploy exactly it, or refuse" })
          .option("plan-token", { type: "string", describe: "refuse when the base or target moved since this plan (older form of --plan)" })
          .option("base-manifest", { type: "string", describe: "the deployed manifest, for a stack that records only its hash" })
          .option("allow-destroy", { type: "boolean", default: false })
          .option("routing-keys-out", { type: "string", describe: "file for the routing keys (mode 0600)" })
          .option("yes", { type: "boolean", default: false }),
      lazy("deploy"),
    )
    .command(
      "import <source> <rules>",
      "write typed monitor modules from Prometheus alerting rules",
      (y) =>
        withHelp("import", y)
          .positional("source", { choices: ["prometheus"] as const, describe: "the kind of rules file" })
          .positional("rules", { type: "string", describe: "the rules file (YAML)" })
          .option("service", { type: "string", demandOption: true, describe: "id of the service the monitors page (a service() in the project)" })
          .option("out", { type: "string", default: "monitors/imported", describe: "folder for the modules, inside the project" })
          .option("server", { type: "string", describe: "base URL of the Prometheus server the checks query (default http://localhost:9090)" })
          .option("project", projectOption)
          .option("force", { type: "boolean", default: false, describe: "overwrite files the import did not write, or that were edited since" }),
      lazy("import"),
    )
    .command(
      "dev",
      "start recording PagerDuty, OpsGenie and Slack servers on loopback for local trials",
      (y) => withHelp("dev", y).option("port", { type: "number", default: 0, describe: "first of three ports: PagerDuty, OpsGenie (+1), Slack (+2); 0 picks free ones" }),
      lazy("dev"),
    )
    .command(
      "completion",
      "print a completion script for bash or zsh (wk and watchkeeper)",
      (y) => withHelp("completion", y).option("shell", { choices: ["bash", "zsh"] as const, describe: "the shell to complete in (default: from $SHELL)" }),
      lazy("completion"),
    )
    .demandCommand(1, "name a command; `wk --help` lists them")
    .strict()
    .recommendCommands()
    .help()
    .version(packageVersion())
    .fail((message, error) => {
      if (error) throw error;
      // yargs holds the options of the command it was parsing when it failed.
      throw usageError(message, argv, knownOptions(cli));
    });

  if (!argv.some((arg) => arg === "--help" || arg.startsWith("--help="))) skipHelpLayout(cli);

  // The single exit point: whatever a command leaves behind (a stray rejection, a throw from a
  // timer) is reported as a bug with exit 3, never as Node's default 1 or as "changes present".
  process.stdout.on("error", dropOutputToClosedPipe);
  process.stderr.on("error", dropOutputToClosedPipe);
  process.on("uncaughtException", (error) => fail(error));
  process.on("unhandledRejection", (error) => fail(error));
  try {
    await cli.parseAsync();
  } catch (error) {
    const reported = environmentFailure(error) ?? error;
    process.exitCode = reportError(reported, writeVisibly);
    // A job that asked for JSON parses stdout: a refusal (a base that does not compile, a ref that
    // does not resolve, a bad flag) is JSON there too, not an empty string.
    if (asksForJson(argv) && reported instanceof UserError && !reported.answeredInJson) process.stdout.write(visibleJson(JSON.stringify(jsonRefusal(reported), null, 2)) + "\n");
  }
}

/** Whether the command line asks for JSON output (`--json`, `--format json`, `--format=json`). */
function asksForJson(argv: readonly string[]): boolean {
  return argv.some((arg, i) => arg === "--json" || arg === "--format=json" || (arg === "--format" && argv[i + 1] === "json"));
}

/** A refusal as JSON: the shape of a failed `wk validate --json` report, with the error itself. */
function jsonRefusal(error: UserError): Record<string, unknown> {
  return {
    ok: false,
    error: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), exitCode: error.exitCode },
    diagnostics: [],
    summary: { errors: 1, warnings: 0, notices: 0 },
  };
}

/**
 * A refusal quotes what it was given (an id, a path, a rule's name), so its invisible characters
 * are spelled out: a terminal escape in a rules file or an argument could otherwise erase the
 * lines above it or recolour the terminal.
 */
function writeVisibly(line: string): void {
  process.stderr.write(visible(line));
}

/**
 * yargs lays out a command's whole help text before it runs the command's handler, in case the
 * handler shows it; no handler here does, and usage errors are reported as one line (usageError).
 * That layout (wrapping and measuring every line of options, examples and the environment table)
 * was about 30 ms of every command. Without `--help` it is skipped. Should a later yargs lack this
 * internal method, the layout is simply done as before (test/gitops/cli-help.test.ts notices).
 */
function skipHelpLayout(cli: Argv): void {
  const internals = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === "function") usage.cacheHelpMessage = () => undefined;
}

/** This package's version, from its package.json: two folders up from the build (build/cli/main.js), one from the sources. */
function packageVersion(): string {
  for (const up of ["../../package.json", "../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "watchkeeper" && typeof manifest.version === "string") return manifest.version;
    } catch {
      continue;
    }
  }
  return "unknown";
}

function fail(error: unknown): never {
  process.exitCode = reportError(environmentFailure(error) ?? error, writeVisibly);
  process.exit();
}

/** The options of the command yargs was parsing when it failed, as `--help` shows them. */
function knownOptions(cli: Argv): string[] {
  const keys = (cli as unknown as { getOptions?: () => { key?: Record<string, unknown> } }).getOptions?.().key ?? {};
  return Object.keys(keys).filter((key) => !/[A-Z]/.test(key) && key !== "$0" && key.length > 1);
}

/**
 * yargs' "Unknown arguments: base-manfest, baseManfest" names each mistyped option twice (its
 * camelCase alias too) and says nothing of the option meant: named once, as typed, with the
 * nearest options of the command.
 */
function unknownOptions(message: string, argv: string[], known: readonly string[]): UserError | null {
  const listed = /^Unknown arguments?: (.*)$/s.exec(message);
  if (!listed) return null;
  const names = listed[1]!.split(", ");
  // The camelCase alias yargs adds for each dashed name typed: `baseManfest` for `base-manfest`.
  const typed = names.filter((name) => !names.some((other) => other !== name && other.includes("-") && camelCase(other) === name));
  const command = argv.find((word) => !word.startsWith("-"));
  // `--spread -5s`: a value that starts with a dash is read as short options (-5, -s).
  const dashed = argv.findIndex((word, i) => i > 0 && /^-\d/.test(word) && argv[i - 1]!.startsWith("--") && !argv[i - 1]!.includes("="));
  if (dashed > 0) {
    const word = argv[dashed]!;
    const flag = argv[dashed - 1]!;
    const read = word.length <= 3 ? [...word.slice(1)].map((c) => `-${c}`).join(", ") : `-${word.slice(1, 2)}, ...`;
    return new UserError(`${JSON.stringify(word)} after ${flag} is read as options (${read}), not as its value`, EXIT.usage, `write ${flag}=${word} to give a value that starts with a dash`);
  }
  const near = typed.map((name) => nearestOption(name.toLowerCase(), known)).filter((name): name is string => name !== undefined);
  const help = command ? `\`wk ${command} --help\` lists its options` : "`wk --help` lists the commands";
  return new UserError(
    `Unknown argument${typed.length === 1 ? "" : "s"}: ${typed.join(", ")}`,
    EXIT.usage,
    near.length > 0 ? `did you mean ${[...new Set(near)].map((n) => `--${n}`).join(", ")}? ${help}` : help,
  );
}

/** The option a mistyped one meant: the fewest edits away (`base-manfest` is `base-manifest`, not `base`), else one holding it. */
function nearestOption(typed: string, known: readonly string[]): string | undefined {
  // One or two letters (`-x`) are near every short option name: no guess.
  if (typed.length < 3) return undefined;
  const close = known.map((option) => ({ option, d: distance(typed, option) })).filter((x) => x.d <= Math.max(2, Math.floor(typed.length / 3)));
  close.sort((a, b) => a.d - b.d || a.option.localeCompare(b.option));
  return close[0]?.option ?? nearIds(typed, [...known])[0];
}

function camelCase(name: string): string {
  return name.replace(/-+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** yargs' complaint as one error line and one hint; its "Did you mean plan?" names what was typed instead. */
function usageError(message: string, argv: string[], known: readonly string[] = []): UserError {
  const suggestion = /^Did you mean (\S+)\?$/.exec(message);
  const typed = argv.find((word) => !word.startsWith("-"));
  if (suggestion && typed) return new UserError(`unknown command: ${typed}`, EXIT.usage, `did you mean \`wk ${suggestion[1]}\`? \`wk --help\` lists the commands`);
  // The two spellings of JSON output: validate, compile and test take --json; plan, simulate and oncall --format json.
  if (/^Unknown arguments?: .*\bjson\b/.test(message)) return new UserError(message, EXIT.usage, `\`wk ${typed ?? "COMMAND"}\` prints JSON with --format json`);
  if (/^Unknown arguments?: .*\bformat\b/.test(message) && argv.some((a) => a === "json" || a === "--format=json")) {
    return new UserError(message, EXIT.usage, `\`wk ${typed ?? "COMMAND"}\` prints JSON with --json`);
  }
  return unknownOptions(message, argv, known) ?? new UserError(message.replace(/\n\s*/g, " "), EXIT.usage, "run `wk --help` for usage");
}
