import type { ProjectConfig } from "../../sdk/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { Location } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";

/** What a rule sees: the synthesized manifest (schema-valid), the config and the module sources. */
export interface RuleContext {
  manifest: Omit<Manifest, "hash">;
  config: ProjectConfig;
  /** Source text of the project's modules, by project-relative path. */
  sources: ReadonlyMap<string, string>;
  /** Evaluation time: coverage looks at the weeks after it. */
  now: Date;
  /** Where a manifest entry was defined (from its `source`). */
  locate(entry: { source: string }): Location;
  /** Inputs a per-construct rule found clean in an earlier compile, when a compile cache is on. */
  memo?: RuleMemo;
  /** Content hashes the compile already has: of a source (project-relative path) and of a manifest entry. */
  hashes?: {
    source(file: string): string | undefined;
    entry(value: object): string | undefined;
  };
}

/**
 * What a rule whose verdict depends only on one input (a PromQL query) may keep between
 * compiles: the inputs it found clean. A rule asks before the work and reports what it found
 * clean after it; findings are never kept, so a problem is always reported from a fresh check.
 */
export interface RuleMemo {
  clean(rule: string, input: string): boolean;
  remember(rule: string, input: string): void;
}

/**
 * One check of a rule over one input whose verdict depends on that input alone (and on what
 * `input` names besides it): skipped when an earlier compile found the same input clean,
 * remembered when it is clean now. Without an input or a memo it always runs.
 */
export function unlessClean(ctx: RuleContext, rule: string, input: string | undefined, check: () => Diagnostic[]): Diagnostic[] {
  if (input !== undefined && ctx.memo?.clean(rule, input)) return [];
  const found = check();
  if (found.length === 0 && input !== undefined) ctx.memo?.remember(rule, input);
  return found;
}

const DAY = 86_400_000;

/**
 * For a rule that looks `windowMs` ahead of the compile's time: what `find(from, to)` finds for this
 * compile. A clean verdict is kept under the UTC day only when `find` is also clean from the start
 * of that day to a day past the window, so it holds for every compile that day; a finding that
 * enters the window later that day is found by a fresh check.
 */
export function cleanForTheDay<T>(ctx: RuleContext, rule: string, input: string | undefined, windowMs: number, find: (from: number, to: number) => T[]): T[] {
  const now = ctx.now.getTime();
  const day = Math.floor(now / DAY) * DAY;
  const key = `${rule} ${day}`;
  if (input !== undefined && ctx.memo?.clean(key, input)) return [];
  const found = find(now, now + windowMs);
  if (found.length === 0 && input !== undefined && ctx.memo && find(day, day + DAY + windowMs).length === 0) ctx.memo.remember(key, input);
  return found;
}

/** A named check over the project; returns its findings, never throws on bad input. */
export type Rule = (ctx: RuleContext) => Diagnostic[];

export interface NamedRule {
  name: string;
  /** One line for docs and `--help`. */
  description: string;
  check: Rule;
}
