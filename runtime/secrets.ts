import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { kindOf } from "./file-kind.js";
import { textOfFile } from "./text/file-text.js";
import { API_TOKEN_SECRET } from "./http/api-auth.js";
import { PAGERDUTY_WEBHOOK_SECRET } from "./inbound/pagerduty-webhook.js";
import type { SecretSource } from "./notify/contract.js";

export interface SecretSourceOptions {
  /** Secret names the manifest declares. */
  declared: string[];
  /** Usually process.env; a secret set here wins over a file. */
  env: Record<string, string | undefined>;
  /** Folder of mounted secret files (file name = secret name), e.g. from WK_SECRETS_DIR. */
  dir?: string | null;
  /** Milliseconds since the epoch; file values are re-read at most every `refreshMs`. */
  now: () => number;
  refreshMs?: number;
}

/** The runtime's SecretSource, with the list of known values the logger needs to redact. */
export interface RuntimeSecrets extends SecretSource {
  /** Every value currently set, for redaction; never log this. */
  values(): string[];
  /** Secrets (declared, or the runtime's own) whose file is there but cannot be used; they count as not set. */
  unusableFiles(): SecretFileProblem[];
}

/** A file in the secrets folder, named after a declared secret, that cannot be used as its value. */
export interface SecretFileProblem {
  name: string;
  path: string;
  /** What is wrong, to follow the path: "is a FIFO, not a file". */
  reason: string;
}

/**
 * The largest secret file read. A token, routing key, password or webhook URL is far smaller, and
 * Kubernetes caps a whole Secret at 1 MiB; a larger file is a mistake (a log, an image, a link to
 * /dev/zero), and reading it whole every few seconds would take the runtime's memory.
 */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * A secret file's name as a secret's name: letters, digits, `_ . -`, not starting with a dot (so
 * never `.`, `..` or Kubernetes' own `..data`).
 */
const SECRET_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * Secrets from the environment and from files in a mounted folder (Kubernetes secrets). Files are
 * re-read now and then, so a secret mounted after start-up is picked up without a restart.
 */
export function createSecretSource(o: SecretSourceOptions): RuntimeSecrets {
  const refreshMs = o.refreshMs ?? 5_000;
  const fileCache = new Map<string, SecretFile & { readAt: number }>();

  const readCached = (name: string): SecretFile => {
    if (!o.dir || !SECRET_FILE_NAME.test(name)) return { value: undefined, problem: null };
    const now = o.now();
    const cached = fileCache.get(name);
    if (cached && now - cached.readAt < refreshMs) return cached;
    const read = readSecretFile(join(o.dir, name));
    fileCache.set(name, { ...read, readAt: now });
    return read;
  };
  const fromFile = (name: string): string | undefined => readCached(name).value;

  const get = (name: string): string | undefined => {
    const env = o.env[name];
    // One trailing line break goes, as from a file: `$(cat token)` keeps none, but a value pasted
    // into a manifest or an env file often ends with one, and no header or URL can carry it.
    const value = env !== undefined && env.endsWith("\n") ? env.replace(/\r?\n$/, "") : env;
    if (value !== undefined && !blank(value)) return value;
    return fromFile(name);
  };

  // The runtime's own secrets (the API token, the PagerDuty webhook signing key) need not be
  // declared by the project, and are redacted and checked too.
  const known = [...new Set([...o.declared, API_TOKEN_SECRET, PAGERDUTY_WEBHOOK_SECRET])];
  return {
    get,
    missing: () => o.declared.filter((name) => get(name) === undefined),
    values: () => known.map(get).filter((v): v is string => v !== undefined),
    unusableFiles: () =>
      known.flatMap((name) => {
        const env = o.env[name];
        if ((env !== undefined && !blank(env)) || !o.dir) return [];
        const { problem } = readCached(name);
        return problem === null ? [] : [{ name, path: join(o.dir, name), reason: problem }];
      }),
  };
}

/**
 * Nothing but spaces, tabs and line breaks: a template or an env file that rendered no value. No
 * token, key or URL is that, so it counts as not set (and --strict-secrets refuses it).
 */
function blank(value: string): boolean {
  return /^[ \t\r\n]*$/.test(value);
}

/** A secret file as read: its value (undefined when absent or empty) or why it cannot be used. */
interface SecretFile {
  value: string | undefined;
  problem: string | null;
}

/**
 * Reads one secret file without ever waiting or reading without bound: opened non-blocking, so a
 * FIFO answers at once instead of holding the event loop until something writes to it; only a
 * regular file (a link to one counts: Kubernetes mounts secrets as links) of at most
 * MAX_SECRET_FILE_BYTES is read. A missing file is a secret not set, not a problem.
 */
function readSecretFile(path: string): SecretFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { value: undefined, problem: null };
    return { value: undefined, problem: `cannot be read (${code ?? String(error)})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { value: undefined, problem: `is ${kindOf(stat)}, not a file` };
    // The size the file says is not trusted (it may grow while read): at most one byte past the limit is read.
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_SECRET_FILE_BYTES) return { value: undefined, problem: `is larger than ${MAX_SECRET_FILE_BYTES} bytes, too large for a secret` };
    const decoded = textOfFile(buffer.subarray(0, length));
    if ("problem" in decoded) return { value: undefined, problem: decoded.problem };
    // Mounted secrets usually end with a newline that is not part of the value.
    const value = decoded.text.replace(/\r?\n$/, "");
    return { value: blank(value) ? undefined : value, problem: null };
  } catch (error) {
    return { value: undefined, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  } finally {
    closeSync(fd);
  }
}
