import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { deployStack } from "../../infra/automation/deploy-stack.js";
import { findPulumiCli } from "../../infra/automation/pulumi-cli.js";
import { readDeployed } from "../../infra/automation/read-deployed.js";
import { compileProject } from "../compiler/index.js";
import { formatDiagnostics } from "../compiler/format.js";
import { deployProject } from "../plan/deploy-project.js";
import { ROUTING_KEYS_FILE } from "../plan/deployed-files.js";
import { EXIT, type ExitStatus } from "../errors.js";
import { refuseUnwritable } from "../writable-path.js";

/** `wk deploy`: apply the PagerDuty changes through Pulumi and hand the routing keys to the runtime. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const projectDir = resolve(String(args["project"] ?? "."));
  const stateDir = join(projectDir, ".watchkeeper");
  const str = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : null);
  const routingKeysOut = resolve(str("routing-keys-out") ?? join(stateDir, ROUTING_KEYS_FILE));
  await refuseUnwritable(routingKeysOut, "--routing-keys-out", "nothing was deployed");
  return deployProject(
    {
      projectDir,
      stackName: str("stack") ?? "production",
      stateDir,
      planFile: str("plan") === null ? null : resolve(str("plan")!),
      planToken: str("plan-token"),
      baseManifest: str("base-manifest"),
      allowDestroy: args["allow-destroy"] === true,
      routingKeysOut,
      yes: args["yes"] === true,
      now: new Date(),
      env: process.env,
    },
    {
      findPulumi: findPulumiCli,
      compile: (dir, o) => compileProject({ projectDir: dir, write: false, ...o }),
      readDeployed,
      deployStack,
      confirm: process.stdin.isTTY ? ask : null,
      out: (text) => process.stdout.write(text),
      reportDiagnostics: (result) =>
        process.stderr.write(formatDiagnostics(result.diagnostics, { color: process.stderr.isTTY === true }) + "\n"),
    },
  );
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [yes/no] `)).trim());
  } finally {
    rl.close();
  }
}
