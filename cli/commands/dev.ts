import { OpsgenieServer, PagerDutyServer, SlackServer, type RecordedRequest, type RecordingServer } from "../../test/support/vendors/index.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { listenFailure } from "../system-error.js";

interface DevArgs {
  port?: number;
}

/** One line per request a recording server received: what a person trying the runtime wants to see. */
function describe(vendor: string, req: RecordedRequest): string {
  const body = req.json as Record<string, unknown> | undefined;
  const parts = [`${vendor}`, `${req.method} ${req.path}`, `-> ${req.status}`];
  if (body && typeof body === "object") {
    if (typeof body["event_action"] === "string") parts.push(`${body["event_action"]} ${String(body["dedup_key"] ?? "")}`);
    const summary = (body["payload"] as { summary?: unknown } | undefined)?.summary ?? body["message"] ?? body["text"];
    if (typeof summary === "string") parts.push(JSON.stringify(summary.slice(0, 120)));
  }
  return parts.join("  ");
}

/**
 * `wk dev`: starts recording PagerDuty (Events v2 and REST), OpsGenie and Slack servers on
 * loopback, prints the environment and base URLs that point a runtime at them, and prints every
 * request they receive until interrupted. They validate requests like the vendors do.
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as DevArgs;
  const first = args.port ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > 65533) {
    throw new UserError(
      `--port must be 0 (any free port) or a port number below 65534, got ${Number.isNaN(first) ? "not a number" : first}`,
      EXIT.usage,
      "the servers listen on this port and the next two (PagerDuty, OpsGenie, Slack); 0 picks free ones",
    );
  }
  const port = (offset: number) => (first === 0 ? 0 : first + offset);
  const pagerduty = new PagerDutyServer();
  const opsgenie = new OpsgenieServer();
  const slack = new SlackServer();
  const servers: [string, RecordingServer][] = [
    ["pagerduty", pagerduty],
    ["opsgenie", opsgenie],
    ["slack", slack],
  ];
  try {
    await pagerduty.start(port(0));
    await opsgenie.start(port(1));
    await slack.start(port(2));
  } catch (error) {
    await Promise.all(servers.map(([, s]) => s.stop()));
    throw listenFailure(error) ?? error;
  }
  for (const [name, server] of servers) server.onRecord = (req) => process.stdout.write(`${describe(name, req)}\n`);

  process.stdout.write(
    [
      "Recording vendor servers are running. Point a runtime at them:",
      "",
      `  export WK_PAGERDUTY_EVENTS_URL=${pagerduty.url}`,
      `  export WK_PAGERDUTY_API_URL=${pagerduty.url}`,
      "",
      `OpsGenie channels: baseUrl: "${opsgenie.url}" (any GenieKey is accepted)`,
      `Slack channels: set the webhook URL secret to ${slack.url}/services/TDEV/BDEV/any-token`,
      "PagerDuty routing keys must be 32 characters, as PagerDuty issues them.",
      "",
      "Requests appear below. Ctrl-C stops.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
  await Promise.all(servers.map(([, s]) => s.stop()));
  return EXIT.ok;
}
