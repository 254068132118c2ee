import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Lines of a test's steps and expectations, read from its source: the loader knows where each
 * monitorTest() was made, not where each element of its lists is. Paths are those test-shape.ts
 * reports (`steps[2]`, `expect[0]`, `others[1].steps[0]`). TypeScript (through ts-morph, a
 * dependency already) is loaded only when a report needs a line.
 */
export async function elementLines(projectDir: string, file: string, testLine: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(path.join(projectDir, file), "utf8");
  } catch {
    return out;
  }
  const { ts } = await import("ts-morph");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (node: import("ts-morph").ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  let call: import("ts-morph").ts.CallExpression | null = null;
  const visit = (node: import("ts-morph").ts.Node): void => {
    if (call) return;
    if (ts.isCallExpression(node) && node.expression.getText(source).endsWith("monitorTest") && lineOf(node) <= testLine && source.getLineAndCharacterOfPosition(node.getEnd()).line + 1 >= testLine) {
      call = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const found = call as import("ts-morph").ts.CallExpression | null;
  const props = found?.arguments[0];
  if (!props || !ts.isObjectLiteralExpression(props)) return out;
  const list = (obj: import("ts-morph").ts.ObjectLiteralExpression, name: string, prefix: string) => {
    for (const p of obj.properties) {
      if (!ts.isPropertyAssignment(p) || p.name.getText(source) !== name) continue;
      out.set(prefix.replace(/\.$/, "") || name, lineOf(p));
      if (ts.isArrayLiteralExpression(p.initializer)) p.initializer.elements.forEach((e, i) => out.set(`${prefix}${name}[${i}]`, lineOf(e)));
      return p.initializer;
    }
    return null;
  };
  list(props, "steps", "");
  list(props, "expect", "");
  for (const name of ["monitor", "start"]) list(props, name, "");
  const others = list(props, "others", "");
  if (others && ts.isArrayLiteralExpression(others)) {
    others.elements.forEach((e, i) => {
      out.set(`others[${i}].monitor`, lineOf(e));
      // feed(monitor, [steps...])
      if (ts.isCallExpression(e) && e.arguments[1] && ts.isArrayLiteralExpression(e.arguments[1])) {
        out.set(`others[${i}].steps`, lineOf(e.arguments[1]));
        e.arguments[1].elements.forEach((s, j) => out.set(`others[${i}].steps[${j}]`, lineOf(s)));
      }
    });
  }
  return out;
}
