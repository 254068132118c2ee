import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { textOfFile } from "../text/file-text.js";

export const DEFAULT_ROUTING_KEYS_FILE = ".watchkeeper/routing-keys.json";

/** Far above what a deploy writes (a key per service): a larger file is not one to read on the event loop. */
export const MAX_KEY_FILE_BYTES = 4 * 1024 * 1024;

/**
/**
 * Where a routing keys file keeps the keys a rotation replaced, by id, newest first:
 * `{ "payments": "NEW", "$previous": { "payments": ["OLD"] } }`. An older runtime skips it (not a
 * string), and no id can take its name (ids are kebab-case).
 */
export const PREVIOUS_KEYS_FIELD = "$previous";

/** What a key file holds: values by id, and the values rotations replaced by id, newest first. */
export interface KeyFileContents {
  values: Record<string, string>;
  previous: Record<string, string[]>;
}

/**
 * One read of a key file. `reason` says what is wrong in words an operator can act on, and never
 * quotes the file's content: it holds routing keys.
 */
export type KeyFileRead = ({ kind: "read" } & KeyFileContents) | { kind: "missing" } | { kind: "unusable"; reason: string };

/**
 * A JSON file `{ id: value }` written by `wk deploy` (routing keys per service), re-read when it
 * changes so that a deploy does not need a restart. A file that is not a regular file (a FIFO
 * would hold the event loop until something wrote to it), is larger than MAX_KEY_FILE_BYTES,
 * cannot be read, is not JSON or not an object of non-empty strings is unusable: `wk run` refuses
 * to start on one (routingKeysVerdict), and one that turns unusable while running is reported
 * through `report`, once per change, while the keys last read stay in use, since paging with the
 * keys of the last good file beats paging nobody. Values a rotation replaced may be kept under
 * PREVIOUS_KEYS_FIELD, so that an incident opened with one can still be resolved with it.
 */
export class KeyFile {
  private cached: ({ mtimeMs: number } & KeyFileContents) | null = null;
  /** The modification time (or absence) last judged unusable, so one bad file is reported once. */
  private judged: number | "missing" | null = null;

  constructor(
    readonly path: string,
    private readonly report: (problem: string) => void = () => {},
  ) {}

  get(id: string): string | undefined {
    return own(this.current().values, id);
  }

  /** The values a rotation replaced for `id`, newest first. */
  previous(id: string): string[] {
    return own(this.current().previous, id) ?? [];
  }

  /** What the file holds now: values by id, and the previous ones by id. */
  contents(): KeyFileContents {
    const { values, previous } = this.current();
    // Copies without a prototype too, so `contents().previous["constructor"]` is no function either.
    return { values: Object.assign(Object.create(null) as Record<string, string>, values), previous: Object.assign(Object.create(null) as Record<string, string[]>, previous) };
  }

  /** Every value, previous ones included, for redaction. */
  all(): string[] {
    const { values, previous } = this.current();
    return [...Object.values(values), ...Object.values(previous).flat()];
  }

  /** Reads the file now, without the cache: for start-up, which says what is wrong before anything runs. */
  read(): KeyFileRead {
    const stat = statOf(this.path);
    if (stat.kind !== "file") return stat.kind === "missing" ? { kind: "missing" } : { kind: "unusable", reason: stat.reason };
    return parseKeyFile(this.path);
  }

  private current(): KeyFileContents {
    const stat = statOf(this.path);
    if (stat.kind === "file" && this.cached?.mtimeMs === stat.mtimeMs) return this.cached;
    const read: KeyFileRead = stat.kind === "file" ? parseKeyFile(this.path) : stat.kind === "missing" ? { kind: "missing" } : { kind: "unusable", reason: stat.reason };
    if (read.kind === "read") {
      this.cached = { mtimeMs: (stat as { mtimeMs: number }).mtimeMs, values: read.values, previous: read.previous };
      this.judged = null;
      return this.cached;
    }
    const at = stat.kind === "missing" ? "missing" : stat.kind === "file" ? stat.mtimeMs : -1;
    // A file missing from the start is start-up's to report; a file that turns bad, or goes, is reported here.
    if ((read.kind === "unusable" || this.cached !== null) && this.judged !== at) {
      this.judged = at;
      const kept = Object.keys(this.cached?.values ?? {}).length;
      const using = kept === 0 ? "no key is in use until it is fixed" : `the ${kept} key${kept === 1 ? "" : "s"} read before stay${kept === 1 ? "s" : ""} in use until it is fixed`;
      this.report(`${this.path} ${read.kind === "missing" ? "is gone" : read.reason}; ${using}`);
    }
    return this.cached ?? { values: {}, previous: {} };
  }
}

/**
 * The routing keys this process has sent with, per source (a service's entry in the keys file, a
 * secret), newest first: after a rotation, the key an alert's trigger went with is still at hand
 * for its acknowledge and resolve. In memory only; never stored.
 */
export class RoutingKeyHistory {
  private readonly bySource = new Map<string, string[]>();

  constructor(private readonly perSource = 8) {}

  /** Notes `key` as the current key of `source`; returns the keys it held before, newest first. */
  current(source: string, key: string): string[] {
    const seen = this.bySource.get(source) ?? [];
    if (seen[0] === key) return seen.slice(1);
    const next = [key, ...seen.filter((k) => k !== key)].slice(0, this.perSource);
    this.bySource.set(source, next);
    return next.slice(1);
  }

  /** Every key noted, for redaction. */
  all(): string[] {
    return [...this.bySource.values()].flat();
  }
}

type FileStat = { kind: "file"; mtimeMs: number } | { kind: "missing" } | { kind: "unusable"; reason: string };

function statOf(path: string): FileStat {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { kind: "unusable", reason: stat.isDirectory() ? "is a folder, not a file" : "is not a regular file (a FIFO, socket or device)" };
    if (stat.size > MAX_KEY_FILE_BYTES) return { kind: "unusable", reason: `is larger than ${MAX_KEY_FILE_BYTES / 1024 / 1024} MiB (${stat.size} bytes); a deploy writes a few bytes per service` };
    return { kind: "file", mtimeMs: stat.mtimeMs };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "unusable", reason: `cannot be read (${code ?? "error"})` };
  }
}

/**
 * The file's bytes, read without waiting and never past MAX_KEY_FILE_BYTES: what the path names
 * may have changed since it was looked at (a FIFO put in its place would hold the event loop, and
 * with it every check and page, until something wrote to it), and the size a file says is not
 * trusted (`/proc` files say 0; a file may grow while read).
 */
function readKeyFileBytes(path: string): { bytes: Buffer } | { reason: string } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { reason: stat.isDirectory() ? "is a folder, not a file" : "is not a regular file (a FIFO, socket or device)" };
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_KEY_FILE_BYTES) return { reason: `is larger than ${MAX_KEY_FILE_BYTES / 1024 / 1024} MiB; a deploy writes a few bytes per service` };
    return { bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  } finally {
    closeSync(fd);
  }
}

function parseKeyFile(path: string): KeyFileRead {
  const read = readKeyFileBytes(path);
  if ("reason" in read) return { kind: "unusable", reason: read.reason };
  const bytes = read.bytes;
  // A file saved by a Windows editor starts with a byte order mark, which JSON.parse refuses; UTF-16 is not read at all.
  const decoded = textOfFile(bytes);
  if ("problem" in decoded) return { kind: "unusable", reason: decoded.problem };
  const text = decoded.text;
  // Said as such rather than as JSON that ends too soon: a Secret or ConfigMap created before the
  // first deploy, or a deploy that failed while writing, leaves exactly this.
  if (text.trim() === "") return { kind: "unusable", reason: "is empty (a deploy writes { \"<service id>\": \"<key>\" })" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text around the error, which here is a routing key: only the position is said.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return { kind: "unusable", reason: `is not valid JSON${at === undefined ? "" : ` (at character ${at})`}` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { kind: "unusable", reason: `is ${kindOf(parsed)}, not a JSON object of service id to key` };
  }
  // Without a prototype: `constructor` is a valid service id, and must not read as Object's.
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const previous: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [id, value] of Object.entries(parsed)) {
    if (id === PREVIOUS_KEYS_FIELD) {
      // Old keys are a help for resolving, not needed to page: what is not a list of keys is skipped.
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [service, list] of Object.entries(value)) {
          const keys = Array.isArray(list) ? list.filter((k): k is string => typeof k === "string" && k !== "") : [];
          if (keys.length > 0) previous[service] = keys;
        }
      }
      continue;
    }
    if (typeof value !== "string") return { kind: "unusable", reason: `holds ${kindOf(value)} for "${id}", not a key (a string)` };
    if (value === "") return { kind: "unusable", reason: `holds an empty key for "${id}"` };
    // A key or a service ID is one word: PagerDuty refuses one with a space or a line break in it
    // (400, not retried), so the page would be lost after the fact rather than refused here.
    if (/[\s\p{Cc}\p{Cf}]/u.test(value)) return { kind: "unusable", reason: `holds a key for "${id}" with a space, line break or other invisible character in it; remove it` };
    values[id] = value;
  }
  return { kind: "read", values, previous };
}

/**
 * An id's own entry: a service may be called `constructor` (a valid kebab-case id), and a lookup
 * that reached Object.prototype would page with Object itself as the key, or fail every send.
 */
function own<T>(record: Record<string, T>, id: string): T | undefined {
  return Object.hasOwn(record, id) ? record[id] : undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** What `wk run` says about the routing keys file before it starts; null when there is nothing to say. */
export interface RoutingKeysVerdict {
  severity: "error" | "warning";
  message: string;
  hint: string;
}

/**
 * Judges the routing keys file at start-up for the services that take their key from it (those
 * without a `routingKey` secret). A page to such a service without a key waits, retried, until
 * the key appears: nobody is paged. So a file that is there but unusable is an error (a mistake to
 * fix, as an unusable secret file is), and so is a file named by WK_ROUTING_KEYS_FILE (`named`)
 * that is missing: the deployment says where the keys are, and they are not there. A file that
 * lacks some services' keys is a warning, as a secret not set is: a rollout can bring a new
 * service's runtime before `wk deploy` has written its key, and refusing would hold every other
 * change (and the services that have keys) back; the file is re-read when the key arrives. At the
 * default path a missing file is a warning too: nothing has been deployed yet (`wk run --project .`
 * on a laptop). `--strict-secrets` refuses every warning.
 */
export function routingKeysVerdict(read: KeyFileRead, file: string, services: readonly string[], named: boolean): RoutingKeysVerdict | null {
  const redeploy = "wk deploy writes it ({ \"<service id>\": \"<routing key>\" }, --routing-keys-out FILE); deploy again, or point WK_ROUTING_KEYS_FILE at the file it wrote";
  const who = (ids: readonly string[]) => `${ids.length === 1 ? "service" : "services"} ${ids.join(", ")}`;
  if (read.kind === "unusable") {
    if (services.length === 0) return { severity: "warning", message: `the routing keys file ${file} ${read.reason}; no service takes its key from it`, hint: "fix or remove the file" };
    return { severity: "error", message: `the routing keys file ${file} ${read.reason}; ${who(services)} take${services.length === 1 ? "s" : ""} its PagerDuty routing key from it and could not be paged`, hint: redeploy };
  }
  if (services.length === 0) return null;
  const lacking = read.kind === "missing" ? [...services] : services.filter((id) => own(read.values, id) === undefined);
  if (lacking.length === 0) return null;
  const what = read.kind === "missing" ? `the routing keys file ${file} does not exist` : `the routing keys file ${file} has no key for ${who(lacking)}`;
  return {
    severity: named && read.kind === "missing" ? "error" : "warning",
    message: `${what}: pages to ${who(lacking)} would wait, unsent, until ${read.kind === "missing" ? "it does" : "it has"}`,
    hint:
      named && read.kind === "missing"
        ? redeploy
        : `run wk deploy, which writes ${read.kind === "missing" ? "it" : "every service's key"}, or set WK_ROUTING_KEYS_FILE to the file it wrote; --strict-secrets refuses to start without ${read.kind === "missing" ? "it" : "them"}`,
  };
}
