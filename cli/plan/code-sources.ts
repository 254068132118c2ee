import type { Manifest, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CodeChange, CodeSlot, MonitorChange } from "./types.js";
import { maskCredentials } from "../rules/no-secret-literals.js";

/** Reads a project file (path relative to the project) as text; null when it is not there. */
export type SourceReader = (file: string) => Promise<string | null>;

/** The source text of each code slot of a monitor, where it could be found. */
export type MonitorSources = Partial<Record<CodeSlot, string>>;

const SLOTS: readonly CodeSlot[] = ["condition", "summary", "run", "extract"];

/**
 * The source of the functions monitors carry, read from their files: the manifest keeps only a hash
 * of them (DESIGN: it holds declarative facts; the code goes to monitors.mjs), and the bundle is
 * esbuild's rewrite, so the author's own text is what a reviewer should see. The file is parsed, never
 * run: the `monitor({...})` call at the monitor's `source` line is found and the text of its
 * `condition`, `summary`, `check.run` and `check.extract` properties taken. A slot whose value is
 * not written inline (a helper's variable) shows as what is written there.
 */
export async function readMonitorSources(monitors: readonly MonitorSpec[], read: SourceReader): Promise<Map<string, MonitorSources>> {
  const out = new Map<string, MonitorSources>();
  const wanted = monitors.filter((m) => SLOTS.some((s) => m.code[s]));
  if (wanted.length === 0) return out;
  const { ts } = await import("ts-morph");
  const parsed = new Map<string, import("ts-morph").ts.SourceFile | null>();
  for (const m of wanted) {
    const at = /^(.*):(\d+)$/.exec(m.source);
    if (!at) continue;
    const file = at[1]!;
    if (!parsed.has(file)) {
      const text = await read(file);
      parsed.set(file, text === null ? null : ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
    }
    const sourceFile = parsed.get(file);
    if (!sourceFile) continue;
    const call = monitorCall(ts, sourceFile, Number(at[2]), m.id);
    if (!call) continue;
    const found: MonitorSources = {};
    const check = property(ts, call, "check");
    const checkArgs = check ? objectOf(ts, check) : null;
    for (const slot of SLOTS) {
      if (!m.code[slot]) continue;
      const node = slot === "run" || slot === "extract" ? (checkArgs ? property(ts, checkArgs, slot) : null) : property(ts, call, slot);
      if (node) found[slot] = dedent(node.getText(sourceFile));
    }
    out.set(m.id, found);
  }
  return out;
}

/** Adds the source of changed code slots to the monitors whose code hash changed. */
export function withCodeChanges(
  monitors: readonly MonitorChange[],
  base: Manifest | null,
  target: Manifest,
  baseSources: Map<string, MonitorSources> | null,
  targetSources: Map<string, MonitorSources>,
): MonitorChange[] {
  if (!baseSources) return [...monitors];
  const before = new Map((base?.monitors ?? []).map((m) => [m.id, m]));
  const after = new Map(target.monitors.map((m) => [m.id, m]));
  return monitors.map((change) => {
    if (change.action !== "change" || !change.changes.some((c) => c.path === "codeHash")) return change;
    const old = baseSources.get(change.id) ?? {};
    const now = targetSources.get(change.id) ?? {};
    const code: CodeChange[] = [];
    for (const slot of SLOTS) {
      const had = before.get(change.id)?.code[slot] ?? false;
      const has = after.get(change.id)?.code[slot] ?? false;
      if (!had && !has) continue;
      // A slot whose source was not found on a side where it exists is unknown: show nothing rather than a wrong diff.
      if ((had && old[slot] === undefined) || (has && now[slot] === undefined)) continue;
      if (old[slot] === now[slot]) continue;
      // Code as the plan shows it: credential-looking text cut (see maskCredentials).
      code.push({ slot, ...(had ? { before: maskCredentials(old[slot]!) } : {}), ...(has ? { after: maskCredentials(now[slot]!) } : {}) });
    }
    return code.length > 0 ? { ...change, code } : change;
  });
}

type TS = typeof import("ts-morph").ts;
type Node = import("ts-morph").ts.Node;
type ObjectLiteral = import("ts-morph").ts.ObjectLiteralExpression;

/** The object literal passed to the call at `line` (1-based) that declares this monitor's id. */
function monitorCall(ts: TS, file: import("ts-morph").ts.SourceFile, line: number, id: string): ObjectLiteral | null {
  let best: ObjectLiteral | null = null;
  const visit = (node: Node): void => {
    if (best) return;
    if (ts.isCallExpression(node) && file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1 <= line) {
      const arg = node.arguments[0];
      if (arg && ts.isObjectLiteralExpression(arg)) {
        const idNode = property(ts, arg, "id");
        const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
        const end = file.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
        if (idNode && ts.isStringLiteralLike(idNode) && idNode.text === id && start <= line && line <= end) {
          best = arg;
          return;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return best;
}

/** The value of a property of an object literal: an initializer, or a method as written. */
function property(ts: TS, object: ObjectLiteral, name: string): Node | null {
  for (const p of object.properties) {
    const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : null;
    if (key !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isMethodDeclaration(p) || ts.isShorthandPropertyAssignment(p)) return p;
  }
  return null;
}

/** `check.script({ run })`, `check.httpWindow({...})` or a plain object: its object literal. */
function objectOf(ts: TS, node: Node): ObjectLiteral | null {
  if (ts.isObjectLiteralExpression(node)) return node;
  if (ts.isCallExpression(node)) {
    const arg = node.arguments[0];
    return arg && ts.isObjectLiteralExpression(arg) ? arg : null;
  }
  return null;
}

/**
 * Removes the indentation the text has in its file: `getText` starts at the token, so the first line
 * has none and the others carry the call's; the closing line sits at that indentation.
 */
function dedent(text: string): string {
  const lines = text.split("\n");
  if (lines.length === 1) return text;
  const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
  const by = indent(lines[lines.length - 1]!);
  return [lines[0]!, ...lines.slice(1).map((l) => l.slice(Math.min(by, indent(l))))].join("\n");
}
