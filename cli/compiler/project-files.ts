import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { sha256 } from "./compile-cache.js";

/**
 * The project's files as one compile reads them: each file is read and hashed once, although the
 * type-check cache, the load cache and the rules all ask for it. A compile takes its view of the
 * files at its start; an edit made while it runs is seen by the next compile.
 */
export interface ProjectFiles {
  /** The file's text (UTF-8), or null when it cannot be read. */
  text(file: string): string | null;
  /** SHA-256 of the file's bytes, or null when it cannot be read. */
  hash(file: string): string | null;
  /** SHA-256 of the sorted names in a folder, or null when it cannot be listed. */
  folderHash(dir: string): string | null;
  /** Size and modification time of the file as it was read (`size:mtimeMs`), or "-" when it cannot be read. */
  stamp(file: string): string;
}

/** `size:mtimeMs` of a file now, or "-": compared with `ProjectFiles.stamp` to see an edit made since the read. */
export function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "-";
  }
}

export function projectFiles(): ProjectFiles {
  const texts = new Map<string, Buffer | null>();
  const decoded = new Map<string, string | null>();
  const hashes = new Map<string, string | null>();
  const folders = new Map<string, string | null>();
  const stamps = new Map<string, string>();
  const bytes = (file: string): Buffer | null => {
    let data = texts.get(file);
    if (data === undefined) {
      // The stamp comes from the open file, so it describes exactly the bytes read.
      let fd: number | null = null;
      try {
        fd = openSync(file, "r");
        const s = fstatSync(fd);
        data = readFileSync(fd);
        stamps.set(file, `${s.size}:${s.mtimeMs}`);
      } catch {
        data = null;
      } finally {
        if (fd !== null) closeSync(fd);
      }
      texts.set(file, data);
    }
    return data;
  };
  return {
    text(file) {
      let text = decoded.get(file);
      if (text === undefined) {
        const data = bytes(file);
        text = data === null ? null : data.toString("utf8");
        decoded.set(file, text);
      }
      return text;
    },
    hash(file) {
      let hash = hashes.get(file);
      if (hash === undefined) {
        const data = bytes(file);
        hash = data === null ? null : sha256(data);
        hashes.set(file, hash);
      }
      return hash;
    },
    stamp(file) {
      bytes(file);
      return stamps.get(file) ?? "-";
    },
    folderHash(dir) {
      let hash = folders.get(dir);
      if (hash === undefined) {
        try {
          hash = sha256(readdirSync(dir).sort().join("\n"));
        } catch {
          hash = null;
        }
        folders.set(dir, hash);
      }
      return hash;
    },
  };
}
