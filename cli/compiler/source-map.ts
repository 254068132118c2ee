/**
 * A bundle's source map, for the loader's one question: which author file:line made this frame?
 * Node's `SourceMap` answers it too, but builds an array per mapping (a 1,000-monitor bundle has
 * a few hundred thousand): parsing it was a tenth of the load step. This decodes the same
 * mappings into flat typed arrays and looks up the same entry Node's `findEntry` would.
 */
export interface BundleSourceMap {
  /** 0-based position in the bundle -> 0-based position in `sources[source]`, or null. */
  find(line: number, column: number): { source: string; line: number; column: number } | null;
  /**
   * Identifiers the bundler renamed (`threshold2` for an author's `threshold`, when two modules
   * in one bundle both declare it), read from the map's `names` and the bundle's text.
   */
  renamed(bundleText: string): Map<string, string>;
}

const BASE64 = new Int8Array(128).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries()) BASE64[c.charCodeAt(0)] = i;

const COMMA = 44;
const SEMICOLON = 59;

export function parseSourceMap(payload: { sources: string[]; mappings: string; names?: string[] }): BundleSourceMap {
  const text = payload.mappings;
  // esbuild's segments take five to eight characters: sized so that it seldom needs to grow.
  let size = Math.max(1024, text.length >> 2);
  let genLine = new Int32Array(size);
  let genCol = new Int32Array(size);
  let src = new Int32Array(size);
  let origLine = new Int32Array(size);
  let origCol = new Int32Array(size);
  let count = 0;
  // Segments that carry a name: esbuild writes one only where it renamed an identifier.
  const named: number[] = [];
  const grow = () => {
    size *= 2;
    const bigger = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    genLine = bigger(genLine);
    genCol = bigger(genCol);
    src = bigger(src);
    origLine = bigger(origLine);
    origCol = bigger(origCol);
  };

  let pos = 0;
  const vlq = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const digit = BASE64[text.charCodeAt(pos++)]!;
      if (digit < 0) throw new Error("malformed source map");
      result += (digit & 31) << shift;
      if ((digit & 32) === 0) break;
      shift += 5;
    }
    return result & 1 ? -(result >>> 1) : result >>> 1;
  };
  const separator = () => pos >= text.length || text.charCodeAt(pos) === COMMA || text.charCodeAt(pos) === SEMICOLON;

  let line = 0;
  let column = 0;
  let source = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  let nameIndex = 0;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === COMMA) {
      pos++;
      continue;
    }
    if (c === SEMICOLON) {
      line++;
      column = 0;
      pos++;
      continue;
    }
    column += vlq();
    if (count === size) grow();
    genLine[count] = line;
    genCol[count] = column;
    if (separator()) {
      src[count++] = -1;
      continue;
    }
    source += vlq();
    sourceLine += vlq();
    sourceColumn += vlq();
    if (!separator()) {
      nameIndex += vlq();
      named.push(line, column, nameIndex);
    }
    src[count] = source;
    origLine[count] = sourceLine;
    origCol[count++] = sourceColumn;
  }

  return {
    find(atLine, atColumn) {
      // The last mapping at or before (line, column), as Node's findEntry.
      let low = 0;
      let high = count - 1;
      let found = -1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if (genLine[mid]! < atLine || (genLine[mid] === atLine && genCol[mid]! <= atColumn)) {
          found = mid;
          low = mid + 1;
        } else high = mid - 1;
      }
      if (found < 0 || src[found]! < 0) return null;
      const name = payload.sources[src[found]!];
      return name === undefined ? null : { source: name, line: origLine[found]!, column: origCol[found]! };
    },
    renamed(bundleText) {
      const out = new Map<string, string>();
      if (named.length === 0) return out;
      const lines = bundleText.split("\n");
      const identifier = /[A-Za-z_$][\w$]*/y;
      for (let i = 0; i < named.length; i += 3) {
        const original = payload.names?.[named[i + 2]!];
        identifier.lastIndex = named[i + 1]!;
        const generated = identifier.exec(lines[named[i]!] ?? "")?.[0];
        if (original && generated && generated !== original) out.set(generated, original);
      }
      return out;
    },
  };
}
