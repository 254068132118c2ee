import { EXIT, UserError } from "./errors.js";

/** The fields Node puts on an error from the operating system (fs, net). */
interface SystemError {
  code: string;
  syscall: string;
  path?: string;
  address?: string;
  port?: number;
}

function systemErrorOf(error: unknown): SystemError | null {
  if (!(error instanceof Error)) return null;
  const e = error as Error & Partial<SystemError>;
  return typeof e.code === "string" && typeof e.syscall === "string" ? (e as unknown as SystemError) : null;
}

/**
 * A failed `listen` as the operator's problem: the port is taken, privileged, or the address is
 * not on this machine. Null for anything else, which the caller rethrows as the bug it may be.
 * `asked` is what the command asked for, used where Node's error does not say; `flag` names the
 * option that chose the port, so the hint says what to change.
 */
export function listenFailure(error: unknown, asked: { port?: number; host?: string; flag?: string } = {}): UserError | null {
  const e = systemErrorOf(error);
  // A host name to listen on is looked up first: one that does not resolve never reaches listen().
  if (e !== null && e.syscall === "getaddrinfo" && (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN" || e.code === "EAI_FAIL")) {
    const name = (error as { hostname?: unknown }).hostname;
    const host = typeof name === "string" ? name : (asked.host ?? "the host");
    return new UserError(`cannot listen on ${JSON.stringify(host)}: it is not an address of this machine, nor a name that resolves to one`, EXIT.findings, "listen on 0.0.0.0 (all interfaces) or 127.0.0.1 with --host");
  }
  if (e === null || e.syscall !== "listen") return null;
  const flag = asked.flag ?? "--port";
  const port = e.port ?? asked.port;
  const host = e.address ?? asked.host;
  const where = port !== undefined ? `port ${port}${host ? ` on ${host}` : ""}` : host ? `${host}` : "the port";
  switch (e.code) {
    case "EADDRINUSE":
      return new UserError(`${where} is already in use`, EXIT.findings, `stop what listens there, or pick another ${flag} (0 picks a free one)`);
    case "EACCES":
    case "EPERM":
      return new UserError(
        `not allowed to listen on ${where}`,
        EXIT.findings,
        `ports below 1024 need privileges: pick ${flag} 1024 or above, or grant this process CAP_NET_BIND_SERVICE`,
      );
    case "EADDRNOTAVAIL":
      return new UserError(`cannot listen on ${where}: the address is not on this machine`, EXIT.findings, "listen on 0.0.0.0 (all interfaces) or 127.0.0.1 with --host");
    default:
      return null;
  }
}

const PERMISSION_HINT = "choose a path this user can write to, or fix the folder's owner and mode";
const IN_THE_WAY_HINT = "a file sits where a folder is expected: choose another path, or move that file";
const SPACE_HINT = "free some space on that disk, then run the command again";

/** Why the operating system refused a file or folder, in words, and what to do; only codes that are the environment's doing. */
const FILE_REFUSALS: Record<string, { reason: string; hint: string }> = {
  EACCES: { reason: "permission denied", hint: PERMISSION_HINT },
  EPERM: { reason: "operation not permitted", hint: PERMISSION_HINT },
  EROFS: { reason: "the file system is read-only", hint: "choose a path on a writable file system (in a container, a mounted volume)" },
  ENOTDIR: { reason: "a part of the path is a file, not a folder", hint: IN_THE_WAY_HINT },
  EISDIR: { reason: "it is a folder, not a file", hint: "give the path of a file, not of a folder" },
  ENOSPC: { reason: "no space left on the device", hint: SPACE_HINT },
  EDQUOT: { reason: "the disk quota is exhausted", hint: SPACE_HINT },
};

/**
 * Refusals of mkdir in particular. Folders are made one level at a time (sdk/make-folders.ts), so a
 * missing folder (ENOENT) is not a missing parent: the file system does not let one be made there
 * (/proc, /sys).
 */
const MKDIR_REFUSALS: Record<string, { reason: string; hint: string }> = {
  EEXIST: { reason: "a file of that name is in the way", hint: IN_THE_WAY_HINT },
  ENOENT: { reason: "that file system does not let a folder be made there", hint: "choose a path on a writable file system (not under /proc or /sys)" },
};

/**
 * The last line of defence at the single exit point: an operating-system refusal that no command
 * classified (a folder that cannot be written, a full disk, a busy port) is still the
 * environment's problem, so it reads as one line and a hint, not as "this is a bug". A missing
 * file (ENOENT) is not listed: inside the installation it is a bug, and commands say so themselves.
 */
export function environmentFailure(error: unknown): UserError | null {
  const listen = listenFailure(error);
  if (listen !== null) return listen;
  const refusal = fileRefusal(error);
  if (refusal === null) return null;
  return new UserError(`cannot ${verbOf(refusal.syscall)} ${refusal.path ?? "a file"}: ${refusal.reason} (${refusal.code})`, EXIT.findings, refusal.hint);
}

/** A file-system refusal that is the environment's doing, in words; null for anything else. */
export function fileRefusal(error: unknown): (SystemError & { reason: string; hint: string }) | null {
  const e = systemErrorOf(error);
  if (e === null) return null;
  const words = FILE_REFUSALS[e.code] ?? (e.syscall === "mkdir" ? MKDIR_REFUSALS[e.code] : undefined) ?? null;
  return words === null ? null : { ...e, ...words };
}

function verbOf(syscall: string): string {
  switch (syscall) {
    case "mkdir":
      return "create the folder";
    case "open":
      return "open";
    case "write":
      return "write";
    case "copyfile":
    case "cp":
      return "copy";
    case "rename":
      return "move a file to";
    case "unlink":
    case "rmdir":
    case "rm":
      return "remove";
    case "chmod":
      return "set the mode of";
    default:
      return "use";
  }
}
