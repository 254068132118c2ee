import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** What ends a command from outside: Ctrl-C, a CI job cancelled, a closed terminal. */
const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const TEMP_VARIABLES = ["TMPDIR", "TMP", "TEMP"] as const;

/**
 * Runs a command with one scratch folder of its own as the temporary folder: every temporary
 * folder made while it runs (the compiler's, the type checker's, a plan's base checkout) lies
 * inside it, because `os.tmpdir()` reads the environment on each call. The folder is removed when
 * the command ends, however it ends: returned, thrown, `process.exit`, or a signal. On a signal
 * the folder is removed and the signal raised again, so the process dies of it as a shell expects
 * (exit 130 for Ctrl-C) instead of leaving temporary folders behind.
 */
export async function inScratchFolder<T>(work: () => Promise<T>): Promise<T> {
  const saved = TEMP_VARIABLES.map((name) => [name, process.env[name]] as const);
  const scratch = mkdtempSync(path.join(tmpdir(), "wk-"));
  for (const name of TEMP_VARIABLES) process.env[name] = scratch;
  // A child the signal also reached (the type checker, the sandbox) may still write into the
  // folder while it is removed: a few retries ride that out, and removing it never fails
  // the command (nor turns Ctrl-C into an internal error) when a file appears too late.
  const remove = () => {
    try {
      rmSync(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // Left in the system's temporary folder, which the system clears.
    }
  };
  const endedBy = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  process.once("exit", remove);
  for (const signal of ENDING_SIGNALS) process.once(signal, endedBy);
  try {
    return await work();
  } finally {
    for (const signal of ENDING_SIGNALS) process.removeListener(signal, endedBy);
    process.removeListener("exit", remove);
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    remove();
  }
}
