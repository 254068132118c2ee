/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text format (version 0.0.4) as Prometheus reads it: `# HELP` and `# TYPE`
 * lines, then `name{label="value",...} value [timestamp]`, label values with backslash escapes.
 * Throws on a line that does not parse, so a malformed exposition fails the test.
 */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[3] ?? "";
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y;
    for (let at = 0; at < body.length; ) {
      label.lastIndex = at;
      const l = label.exec(body);
      if (!l) throw new Error(`bad labels in: ${line}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_all, c: string) => (c === "n" ? "\n" : c));
      at = label.lastIndex;
    }
    // Go's ParseFloat, as Prometheus uses it: NaN and Inf in any case.
    const raw = m[4]!.toLowerCase();
    const value = /^\+?inf(inity)?$/.test(raw) ? Infinity : /^-inf(inity)?$/.test(raw) ? -Infinity : raw === "nan" ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== "nan") throw new Error(`bad value in: ${line}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}
