import type { Argv } from "yargs";

/** What `--help` adds under a command's options: how people call it, and what it reads from the environment. */
interface CommandHelp {
  examples: Array<[command: string, what: string]>;
  /** Only variables the command's code reads; test/gitops/cli-help.test.ts holds each list to the code. */
  env: Array<[name: string, what: string]>;
}

const LOAD_TIMEOUT: [string, string] = ["WK_LOAD_TIMEOUT", "limit for loading the project's modules, e.g. 10s (overrides load.timeout in the config)"];
const CACHE: Array<[string, string]> = [
  ["WK_CACHE", "off: compile without the content-keyed cache (type check and config)"],
  ["WK_CACHE_DIR", "folder of the compile cache (default node_modules/.cache/watchkeeper, else the user cache)"],
  ["XDG_CACHE_HOME", "user cache root: the cache key, and the cache when the project has no node_modules (default ~/.cache)"],
];
/** Every command that compiles the project reads these. */
const COMPILING: Array<[string, string]> = [LOAD_TIMEOUT, ...CACHE];
const NO_COLOR: [string, string] = ["NO_COLOR", "set to print without colors on a terminal"];
const PULUMI_BIN: [string, string] = ["WK_PULUMI_BIN", "the pulumi CLI to drive (default: pulumi on PATH)"];
const PULUMI_BACKEND: [string, string] = ["PULUMI_BACKEND_URL", "Pulumi state backend (default file://PROJECT/.watchkeeper/pulumi)"];
const PASSPHRASE: [string, string] = ["PULUMI_CONFIG_PASSPHRASE", "passphrase of the stack's secrets on a self-managed backend (or PULUMI_CONFIG_PASSPHRASE_FILE)"];
const PASSPHRASE_FILE: [string, string] = ["PULUMI_CONFIG_PASSPHRASE_FILE", "file holding that passphrase"];
const PAGERDUTY_TOKEN: [string, string] = ["PAGERDUTY_TOKEN", "PagerDuty REST API token (never printed)"];
const SECRETS_DIR: [string, string] = ["WK_SECRETS_DIR", "folder of mounted secret files named after the declared secrets (a set variable of the same name wins)"];

export const COMMAND_HELP: Record<string, CommandHelp> = {
  validate: {
    examples: [
      ["$0 validate", "type-check and validate the project in this folder"],
      ["$0 validate --project monitoring --json", "diagnostics as JSON, for an editor or a CI annotation"],
    ],
    env: [...COMPILING],
  },
  compile: {
    examples: [
      ["$0 compile", "write dist/watchkeeper/manifest.json and monitors.mjs"],
      ["$0 compile --out build/artifact", "write the artifact elsewhere (the Dockerfile copies it)"],
      ["$0 compile --plan reviewed/plan.json", "write the artifact only when it is the reviewed plan's target (the deploy job)"],
    ],
    env: [...COMPILING],
  },
  init: {
    examples: [
      ["$0 init my-monitoring", "scaffold a project in a new folder"],
      ["$0 init . --from ./watchkeeper-0.1.0.tgz", "depend on a packed tarball instead of this Watchkeeper"],
      ["$0 init . --force", "add the scaffold to an existing repository, keeping its files"],
    ],
    env: [],
  },
  run: {
    examples: [
      ["$0 run --artifact dist/watchkeeper --state /var/lib/watchkeeper", "run a compiled artifact (as the container does)"],
      ["WK_LOG_LEVEL=debug $0 run --project . --port 0", "compile this project and run it locally on a free port"],
    ],
    env: [
      ["WK_LOG_LEVEL", "log level: trace, debug, info (default), warn, error"],
      ["WK_LOG_FORMAT", "json or pretty; default pretty on a terminal, JSON otherwise (containers)"],
      SECRETS_DIR,
      ["WK_CONCURRENCY", "checks running at once (default 256)"],
      ["WK_SPREAD", "largest per-monitor schedule offset, e.g. 30s (default) or 0s"],
      ["WATCHKEEPER_REDIS_URL", "secret: scale out on this Redis, like --redis (redis://[:password@]HOST:PORT/DB)"],
      ["WK_STALL_INTERVAL", "scale-out: how often replicas look for ticks whose replica died, e.g. 5s (default)"],
      ["WK_DRAIN_TIMEOUT", "on SIGTERM, how long to wait for in-flight checks, then for delivery, e.g. 10s (default)"],
      ["WK_DELIVERY_LEASE_MARGIN_MS", "scale-out: a send's lease beyond its timeout, in ms, at least 1000 (default 30000)"],
      ["WK_ROUTING_KEYS_FILE", "PagerDuty routing keys written by wk deploy, re-read on change (default .watchkeeper/routing-keys.json)"],
      ["WK_PAGERDUTY_SERVICE_IDS_FILE", "PagerDuty service IDs written by wk deploy (default .watchkeeper/service-ids.json)"],
      ["WK_PAGERDUTY_EVENTS_URL", "Events API v2 base URL (default https://events.pagerduty.com; wk dev prints a local one)"],
      ["WK_PAGERDUTY_API_URL", "REST API base URL for incident channels (default https://api.pagerduty.com)"],
      ["WK_SMTP_TIMEOUT_MS", "SMTP delivery timeout in ms (default 120000)"],
      ["WK_EMERGENCY_DIAGNOSTICS_TIMEOUT_MS", "limit for diagnostics attached to an emergency page, in ms (default 8000)"],
      ["WK_TRUST_PROXY", "1: rate-limit the emergency page by the first X-Forwarded-For address"],
      ["WK_ALLOWED_HOSTS", "with open reads: host names the views answer to beyond IPs, localhost, service names and publicUrl's host"],
      ["WATCHKEEPER_API_TOKEN", "secret: bearer token for the JSON API (variable or file in WK_SECRETS_DIR)"],
      ["PAGERDUTY_WEBHOOK_SECRET", "secret: verifies PagerDuty v3 webhook signatures (variable or file in WK_SECRETS_DIR)"],
      ...COMPILING,
    ],
  },
  test: {
    examples: [
      ["$0 test", "list the project's monitor ids"],
      ["$0 test payments-api-latency --json", "run one monitor now and print the result as JSON"],
      ["$0 test --unit", "run the monitor unit tests (*.wktest.ts) in simulated time"],
    ],
    env: [SECRETS_DIR, ...COMPILING, NO_COLOR],
  },
  plan: {
    examples: [
      ["$0 plan --base main", "what this branch changes compared with main"],
      ["$0 plan --base-stack production --out plan.json --format markdown", "the pull-request comment, and the plan wk deploy --plan applies"],
    ],
    env: [
      ["WK_PLAN_CACHE", "off: compile the git base every time instead of reusing .watchkeeper/plan-cache"],
      ...COMPILING,
      NO_COLOR,
      PULUMI_BIN,
      PULUMI_BACKEND,
      PASSPHRASE,
      PASSPHRASE_FILE,
      PAGERDUTY_TOKEN,
    ],
  },
  simulate: {
    examples: [
      ['$0 simulate --monitor checkout-error-rate --at "2026-03-28T03:12 Europe/Berlin"', "who is paged, when, if checkout starts failing then"],
      ["$0 simulate --service website --at now --until-ack 20m --format markdown", "an incident on the website now, acknowledged after 20 minutes, for a pull request"],
    ],
    env: [...COMPILING],
  },
  oncall: {
    examples: [
      ["$0 oncall", "who every schedule has on call now"],
      ['$0 oncall --service checkout-payments --at "2026-12-24T20:00 Europe/Berlin"', "who each escalation rule reaches on Christmas Eve"],
      ["$0 oncall --ics calendars --window 60d", "iCalendar feeds per schedule and per person for the next 60 days"],
    ],
    env: [...COMPILING],
  },
  deploy: {
    examples: [
      ["$0 deploy --plan plan.json --yes", "apply exactly the reviewed plan, or refuse (CI on merge)"],
      ["$0 deploy --stack staging --routing-keys-out /run/watchkeeper/routing-keys.json", "deploy interactively and hand the routing keys to a runtime"],
    ],
    env: [
      PAGERDUTY_TOKEN,
      ["PAGERDUTY_SERVICE_REGION", "PagerDuty service region, e.g. eu"],
      ["PAGERDUTY_API_URL_OVERRIDE", "PagerDuty API base URL for the provider"],
      PULUMI_BIN,
      PULUMI_BACKEND,
      PASSPHRASE,
      PASSPHRASE_FILE,
      ...COMPILING,
    ],
  },
  import: {
    examples: [
      ["$0 import prometheus rules/checkout.yml --service checkout-payments", "one module per rule group in monitors/imported/, paging that service"],
      ["$0 import prometheus alerts.yml --service api --server http://prometheus.monitoring:9090 --out monitors/prometheus", "name the Prometheus server and the output folder"],
    ],
    env: [],
  },
  dev: {
    examples: [
      ["$0 dev", "start the recording servers on free ports"],
      ["$0 dev --port 9000", "PagerDuty on 9000, OpsGenie on 9001, Slack on 9002"],
    ],
    env: [],
  },
  completion: {
    examples: [
      ["$0 completion >> ~/.bashrc", "complete commands and options in bash"],
      ["$0 completion --shell zsh > \"${fpath[1]}/_wk\"", "complete in zsh"],
    ],
    env: [["SHELL", "picks the script's shell when --shell is not given"]],
  },
};

/** Adds a command's examples and an epilog listing the environment variables it reads. */
export function withHelp<T>(name: keyof typeof COMMAND_HELP, y: Argv<T>): Argv<T> {
  const help = COMMAND_HELP[name]!;
  let out = y;
  for (const [command, what] of help.examples) out = out.example(command, what);
  return out.epilog(environmentEpilog(help.env));
}

/** yargs rewraps lines wider than the terminal without indenting them, so the epilog arrives wrapped. */
const WIDTH = 78;

function environmentEpilog(env: CommandHelp["env"]): string {
  if (env.length === 0) return "Environment: none read by this command.";
  const column = Math.max(...env.map(([name]) => name.length)) + 4;
  const lines = ["Environment:"];
  for (const [name, what] of env) {
    const [first, ...rest] = wrap(what, WIDTH - column);
    lines.push(`  ${name.padEnd(column - 2)}${first}`, ...rest.map((line) => " ".repeat(column) + line));
  }
  return lines.join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}
