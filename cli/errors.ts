/** A problem with what the user asked for or gave us; printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** A command finished and wants this exit code (validation failed, changes present...). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "ExitCode";
  }
}

/** Maps anything thrown out of a command to an exit code and a message on stderr. */
export function reportError(error: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof UserError) {
    write(`error: ${error.message}\n`);
    if (error.hint) write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`internal error (this is a bug in watchkeeper, please report it):\n${detail}\n`);
  return 2;
}
