import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { textOfFile } from "../sdk/file-text.js";
import { parseManifest, type ManifestLoadResult } from "../sdk/manifest/index.js";

/**
 * The largest manifest read: the compile refuses definitions past 256 MiB of text in all
 * (docs/compiler.md), so a larger file was not written by `wk compile`. Reading it whole would end
 * the process ("Invalid string length") instead of saying so.
 */
export const MANIFEST_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** The apiVersion of a compiled manifest is a short literal; anything else is not a manifest. */
const API_VERSION_MAX = 64;

/**
 * Reads and validates a compiled manifest file; a missing, unreadable or malformed file is a
 * reason, not a throw. The path may be anything a user or a CI variable typed, so the reason names
 * the file and what is wrong with it, and never quotes its content (`--base-manifest /etc/passwd`
 * must not print the file's first line).
 */
export async function readManifestFile(path: string): Promise<ManifestLoadResult> {
  const read = await readRegularFile(path);
  if (!read.ok) return read;
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (error) {
    return { ok: false, reason: `${path} is not valid JSON${jsonErrorPlace(error)}: a compiled manifest is the manifest.json that \`wk compile\` writes` };
  }
  const notManifest = notAManifest(json);
  if (notManifest) return { ok: false, reason: `${path} ${notManifest}` };
  const result = parseManifest(json);
  return result.ok ? result : { ok: false, reason: `${path}: ${result.reason}` };
}

type FileText = { ok: true; text: string } | { ok: false; reason: string };

/**
 * The file's text, from a regular file of at most MANIFEST_FILE_MAX_BYTES. Opened without blocking
 * so a FIFO cannot hang the read; a device (/dev/zero), a folder or a FIFO is refused by its type
 * before anything is read; a file that grows while read is cut at the limit and refused. Decoded
 * as the runtime decodes it (`textOfFile`): a UTF-8 byte order mark (a copy re-saved on Windows) is
 * dropped, UTF-16 and bytes that are not UTF-8 are refused saying so, rather than as a JSON error
 * at character 0 or a manifest whose names hold U+FFFD.
 */
async function readRegularFile(path: string): Promise<FileText> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? `no manifest at ${path}` : `cannot read ${path}: ${code ?? "unknown error"}` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: `${path} is ${fileKind(stat)}, not a regular file: pass the manifest.json that \`wk compile\` writes` };
    if (stat.size > MANIFEST_FILE_MAX_BYTES) return { ok: false, reason: tooLarge(path) };
    const buffer = Buffer.alloc(Math.min(stat.size, MANIFEST_FILE_MAX_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MANIFEST_FILE_MAX_BYTES) return { ok: false, reason: tooLarge(path) };
    const decoded = textOfFile(buffer.subarray(0, length));
    if ("problem" in decoded) return { ok: false, reason: `${path} ${decoded.problem}: pass the manifest.json that \`wk compile\` writes, as it wrote it` };
    return { ok: true, text: decoded.text };
  } catch (error) {
    return { ok: false, reason: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}` };
  } finally {
    await handle.close();
  }
}

function tooLarge(path: string): string {
  return `${path} is larger than ${MANIFEST_FILE_MAX_BYTES / 1024 / 1024} MiB, more than a compiled manifest can be: pass the manifest.json that \`wk compile\` writes`;
}

function fileKind(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a file";
}

/**
 * Where JSON.parse stopped, without its message: V8 quotes the text around the error
 * (`Unexpected token 'r', "root:x:0:0:"... is not valid JSON`), which is the file's content.
 */
function jsonErrorPlace(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return ` (at line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /at position (\d+)/.exec(message);
  return position ? ` (at character ${position[1]})` : "";
}

/**
 * Why parsed JSON is not a compiled manifest at all, before the schema check quotes its apiVersion:
 * any JSON file (a config holding a token) would otherwise have that value printed.
 */
function notAManifest(json: unknown): string | null {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return "is not a compiled manifest: it is not a JSON object";
  const apiVersion = (json as { apiVersion?: unknown }).apiVersion;
  if (typeof apiVersion !== "string" || apiVersion.length > API_VERSION_MAX || !/^[\w./-]+$/.test(apiVersion)) {
    return "is not a compiled manifest: it has no apiVersion such as watchkeeper.dev/v1";
  }
  return null;
}
