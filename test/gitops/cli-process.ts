import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../delivery/support/process.js";

export { ensureBuild, ROOT } from "../delivery/support/process.js";

/** What a finished `wk` process left. */
export interface Finished {
  /** Exit code; null when it had to be killed (it did not end by itself). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface WkOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Run as this user (and group): root ignores file modes, an unprivileged user does not. */
  uid?: number;
  timeoutMs?: number;
}

/** Runs the built CLI (`bin/watchkeeper.js`) to its end, as a user's shell would. */
export function wk(args: string[], o: WkOptions = {}): Promise<Finished> {
  const child = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(o.uid === undefined ? {} : { uid: o.uid, gid: o.uid }),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** stderr without the runtime's JSON log lines (pino), which are not the CLI's own messages. */
export function messageLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith('{"level"'));
}
