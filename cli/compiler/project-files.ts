import { readdirSync, readFileSync } from "node:fs";
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
}

export function projectFiles(): ProjectFiles {
  const texts = new Map<string, Buffer | null>();
  const decoded = new Map<string, string | null>();
  const hashes = new Map<string, string | null>();
  const folders = new Map<string, string | null>();
  const bytes = (file: string): Buffer | null => {
    let data = texts.get(file);
    if (data === undefined) {
      try {
        data = readFileSync(file);
      } catch {
        data = null;
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
