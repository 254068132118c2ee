import { parser } from "@prometheus-io/lezer-promql";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/** Where a query stops being PromQL, and what is found there. */
export interface PromqlProblem {
  /** Offset into the query (0-based, UTF-16 code units). */
  offset: number;
  line: number;
  column: number;
  problem: string;
}

/**
 * Every PromQL check's query parses with Prometheus's own grammar (the Lezer parser its web UI
 * uses), so a typo fails `wk validate` at the monitor's line instead of erroring at every tick.
 * The grammar is the syntax only: a wrong function arity or an unknown function name still
 * reaches Prometheus, which refuses it at run time (the monitor then shows as erroring).
 */
export function validPromql(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const m of ctx.manifest.monitors) {
    if (m.check.kind !== "prometheus") continue;
    if (ctx.memo?.clean("valid-promql", m.check.query)) continue;
    const found = promqlProblem(m.check.query);
    if (found === null) {
      ctx.memo?.remember("valid-promql", m.check.query);
      continue;
    }
    out.push(
      diagnostic(
        "error",
        "valid-promql",
        `monitor "${m.id}": PromQL query does not parse at ${found.line}:${found.column} of the query: ${found.problem}, in "${excerpt(m.check.query, found.offset)}"`,
        "fix the query (try it in Prometheus's expression browser); Prometheus would refuse it on every tick",
        ctx.locate(m),
      ),
    );
  }
  return out;
}

/** The first syntax problem in a query, or null when Prometheus's grammar accepts it. */
export function promqlProblem(query: string): PromqlProblem | null {
  if (query.trim() === "") return at(query, 0, "the query is empty");
  const tree = parser.parse(query);
  let found: PromqlProblem | null = null;
  tree.iterate({
    enter(node) {
      if (found !== null) return false;
      if (node.type.isError) {
        found = at(query, node.from, node.from >= query.length ? "the query ends too early" : `unexpected ${quoteToken(query, node.from)}`);
        return false;
      }
      // The tokenizer accepts a string literal that runs to the end of the query; Prometheus does not.
      if (node.name === "StringLiteral" && !closedString(query.slice(node.from, node.to))) {
        found = at(query, node.from, "a string is not closed");
        return false;
      }
      return undefined;
    },
  });
  return found;
}

function closedString(text: string): boolean {
  const quote = text[0];
  if (text.length < 2 || text[text.length - 1] !== quote) return false;
  if (quote === "`") return true;
  let backslashes = 0;
  for (let i = text.length - 2; i > 0 && text[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 0;
}

function at(query: string, offset: number, problem: string): PromqlProblem {
  const before = query.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { offset, line, column, problem };
}

function quoteToken(query: string, offset: number): string {
  const token = /^\s*(\S{1,20})/.exec(query.slice(offset))?.[1];
  return token === undefined ? "end of query" : JSON.stringify(token);
}

/** The query around the problem, on one line, with `⟨here⟩` where parsing stopped. */
function excerpt(query: string, offset: number): string {
  const flat = (text: string) => text.replace(/\s+/g, " ");
  const before = flat(query.slice(Math.max(0, offset - 40), offset));
  const after = flat(query.slice(offset, offset + 40));
  return `${offset > 40 ? "…" : ""}${before}⟨here⟩${after}${offset + 40 < query.length ? "…" : ""}`;
}
