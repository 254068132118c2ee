import { z } from "zod";
import type { CheckResult, SummaryContext } from "../../sdk/result.js";

/**
 * What `wk plan` asks the sandbox when it previews summary functions (a `summaries` request's
 * job), and what the child answers. The child imports each compiled monitors.mjs, then calls each
 * monitor's summary function on the plan's sample result.
 */
/** The text a summary function returned, or one line saying why there is none. */
export type SummaryOutcome = { ok: true; text: string } | { ok: false; reason: string };

/** Outcomes by `after:<monitor id>` and `before:<monitor id>` (ids as in the target). */
export type SummaryTexts = ReadonlyMap<string, SummaryOutcome>;

export const summaryKey = (side: "after" | "before", monitorId: string): string => `${side}:${monitorId}`;

export interface SummaryJob {
  /** The compiled bundles to import, copied into the work folder: the target's, and the base's when it has one. */
  bundles: { id: string; file: string }[];
  calls: SummaryCall[];
  /** How long one call may run; a call past it is stopped where it is, and the next one runs. */
  callLimitMs: number;
}

export interface SummaryCall {
  /** `after:<monitor id>` or `before:<monitor id>` (the id the monitor has in the target). */
  key: string;
  /** Which bundle holds the function. */
  bundle: string;
  /** The monitor's id in that bundle (a renamed monitor has its old id in the base). */
  exportId: string;
  context: SummaryContext;
  result: CheckResult;
}

/** The function's return value when it is a string, or why there is no text (one line). */
export type SummaryAnswer = { key: string; text: string } | { key: string; problem: string };

export interface SummaryJobResult {
  answers: SummaryAnswer[];
}

const answerShape = z.union([z.object({ key: z.string(), text: z.string() }), z.object({ key: z.string(), problem: z.string() })]);
const resultShape = z.object({ type: z.literal("result"), answers: z.array(answerShape) });

/** Reads the child's answer; anything not in this shape is no answer. */
export function parseSummaryJobResult(message: unknown): SummaryJobResult | null {
  const parsed = resultShape.safeParse(message);
  return parsed.success ? { answers: parsed.data.answers } : null;
}
