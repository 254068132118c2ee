import type { ts as TS } from "ts-morph";
import type { SchemaFinding } from "./schema-check.js";
import type { Diagnostic } from "./types.js";

/** A 1-based line and column in a source file. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Manifest fields the SDK's props spell differently (synth.ts renames them): a schema error on
 * `rotationTurnLength` is about the `rotation:` the author wrote.
 */
const PROP_NAMES = new Map<string, string[]>([
  ["rotationTurnLength", ["rotation"]],
  ["rotationVirtualStart", ["handoff"]],
  ["ackChannels", ["notifyOnAcknowledge"]],
  ["expression", ["cron"]],
]);

/**
 * Where the property a schema error names was written: the construct is the factory call at
 * `at` (its line, and its column when known), and `field` is the manifest path below the entry
 * (`["schedule", "every"]`, `["layers", 0, "rotationTurnLength"]`). The path is followed through
 * object literals, array literals and nested factory calls (`check: check.http({ ... })`) as far
 * as the source spells it out; a value built elsewhere (a variable, a function's result) stops the
 * walk there, and the deepest property reached is the answer. Null when the call is not found.
 */
export function propertyPosition(ts: typeof TS, fileName: string, text: string, at: { line: number; column: number | null }, field: readonly PropertyKey[]): Position | null {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const call = constructCall(ts, source, at);
  if (!call) return null;
  const position = (node: TS.Node): Position => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
    return { line: line + 1, column: character + 1 };
  };
  let found: TS.Node = call;
  let value: TS.Node | undefined = call.arguments[0];
  for (const segment of field) {
    value = value && unwrap(ts, value);
    if (!value) break;
    if (typeof segment === "number") {
      if (!ts.isArrayLiteralExpression(value)) break;
      const element: TS.Expression | undefined = value.elements[segment];
      if (!element || ts.isSpreadElement(element) || value.elements.slice(0, segment).some((e) => ts.isSpreadElement(e))) break;
      found = element;
      value = element;
      continue;
    }
    if (!ts.isObjectLiteralExpression(value)) break;
    // A Map: a field named like an Object.prototype member (`__proto__`) is data here, not a lookup.
    const names = [String(segment), ...(PROP_NAMES.get(String(segment)) ?? [])];
    const property = value.properties.find((p) => p.name !== undefined && names.includes(propertyName(ts, p.name)));
    if (!property) break;
    found = property;
    value = ts.isPropertyAssignment(property) ? property.initializer : undefined;
  }
  return position(found === call ? call.expression : found);
}

/** The factory call that made the construct: the call at line:column, else the first on the line. */
function constructCall(ts: typeof TS, source: TS.SourceFile, at: { line: number; column: number | null }): TS.CallExpression | null {
  let exact: TS.CallExpression | null = null;
  let onLine: TS.CallExpression | null = null;
  const visit = (node: TS.Node): void => {
    if (exact) return;
    if (ts.isCallExpression(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source));
      if (start.line + 1 === at.line) {
        if (at.column !== null && start.character + 1 === at.column) exact = node;
        else if (!onLine && node.arguments.length > 0) onLine = node;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return exact ?? onLine;
}

/** The expression under parentheses, `as`, `satisfies`, `!` and a factory call's props argument. */
function unwrap(ts: typeof TS, node: TS.Node): TS.Node {
  let current = node;
  for (;;) {
    if (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isNonNullExpression(current)) current = current.expression;
    else if (ts.isCallExpression(current) && current.arguments.length > 0) current = current.arguments[0]!;
    else return current;
  }
}

function propertyName(ts: typeof TS, name: TS.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  // `["__proto__"]: ...`, the way to write such a key as data.
  if (ts.isComputedPropertyName(name) && (ts.isStringLiteral(name.expression) || ts.isNoSubstitutionTemplateLiteral(name.expression))) return name.expression.text;
  return "";
}

/**
 * Schema findings moved from the construct's line to the property they are about (`every:` inside
 * the object literal), so the editor jumps to the value to change. TypeScript (through ts-morph,
 * a dependency already) is loaded only when there is a finding to place; a finding whose source
 * is not at hand keeps the construct's place.
 */
export async function placeSchemaFindings(
  findings: readonly SchemaFinding[],
  sources: ReadonlyMap<string, string>,
  columns: ReadonlyMap<string, number>,
  /** The config's `secrets` as written (the manifest's are sorted, each once). */
  declared: readonly unknown[] = [],
): Promise<Diagnostic[]> {
  if (!findings.some((f) => (f.entry && f.field.length > 0) || f.secret !== undefined || f.configField !== undefined)) return findings.map((f) => f.diagnostic);
  const { ts } = await import("ts-morph");
  return findings.map(({ diagnostic, entry, field, secret, configField }) => {
    const file = diagnostic.file ?? "";
    if (secret !== undefined) {
      const entry = declared.indexOf(secret);
      return { ...diagnostic, ...configPosition(ts, sources.get(file), file, entry < 0 ? ["secrets"] : ["secrets", entry]) };
    }
    if (configField !== undefined) return { ...diagnostic, ...configPosition(ts, sources.get(file), file, configField) };
    if (!entry || field.length === 0 || !diagnostic.file || diagnostic.line === null) return diagnostic;
    const text = sources.get(diagnostic.file);
    if (text === undefined) return diagnostic;
    const at = propertyPosition(ts, diagnostic.file, text, { line: diagnostic.line, column: columns.get(entry.source) ?? null }, field);
    return at ? { ...diagnostic, ...at } : diagnostic;
  });
}

/**
 * Where the config sets a field (a declared secret's entry in `secrets: [...]`, `publicUrl`): the
 * deepest property of the path the `config(` call spells out, else the call's line.
 */
function configPosition(ts: typeof TS, text: string | undefined, file: string, field: readonly PropertyKey[]): Position {
  if (text === undefined) return { line: 1, column: 1 };
  const index = text.search(/\bconfig\s*\(/);
  if (index < 0) return { line: 1, column: 1 };
  const line = text.slice(0, index).split("\n").length;
  return propertyPosition(ts, file, text, { line, column: null }, field) ?? { line, column: 1 };
}

/** The value at a schema issue's path in the value that was checked, or undefined where the path leaves it. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
