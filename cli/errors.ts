/**
 * Every exit code has one name and one meaning; nothing else in the CLI picks a number.
 * `changes` is produced only by a `wk plan --detailed-exitcode` that finished and found changes,
 * so a crash can never read as "changes present" in a pull request's gate.
 */
export const EXIT = {
  /** The command did what was asked (a plan with no changes, a clean validate). */
  ok: 0,
  /** The command ran and found a problem in the project or its environment, and said what. */
  findings: 1,
  /** The command line itself is wrong (unknown flag, conflicting options, bad value). */
  usage: 2,
  /** A bug in watchkeeper: an unexpected exception. */
  internal: 3,
  /** `wk plan --detailed-exitcode` finished and the plan has changes. */
  changes: 4,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** A problem with what the user asked for or gave us; printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitStatus = EXIT.usage,
    readonly hint?: string,
    /** The command already printed its JSON answer (the diagnostics) on stdout: nothing more goes there. */
    readonly answeredInJson = false,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** A command finished and wants this exit code. */
export class ExitCode extends Error {
  constructor(readonly code: ExitStatus) {
    super(`exit ${code}`);
    this.name = "ExitCode";
  }
}

/**
 * An 'error' listener for stdout and stderr. A reader that stops early (`wk plan | head -1`, a
 * pager quit) closes the pipe: what is left to print has nowhere to go and is dropped, and the
 * command still ends with its own exit code. Any other failure of the stream is thrown on, to be
 * reported as ever.
 */
export function dropOutputToClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
}

/** Maps anything thrown out of a command to an exit code and a message on stderr. */
export function reportError(error: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): ExitStatus {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof UserError) {
    write(`error: ${error.message}\n`);
    if (error.hint) write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`internal error (this is a bug in watchkeeper, please report it):\n${detail}\n`);
  return EXIT.internal;
}
