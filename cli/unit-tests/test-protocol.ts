import { z } from "zod";

/** A test as the sandboxed loader answers it: plain data, still to be checked (test-shape.ts). */
export interface LoadedTest {
  file: string;
  line: number;
  column: number;
  name: string | null;
  /** The `monitor` reference's id; null when it is not a monitor. */
  monitorId: string | null;
  start: unknown;
  steps: unknown;
  expect: unknown;
  others: Array<{ monitorId: string | null; steps: unknown; line: number }>;
}

/** A module that could not be loaded, or exports no test. */
export interface LoadProblem {
  file: string | null;
  line: number | null;
  message: string;
}

export interface TestLoadResult {
  tests: LoadedTest[];
  problems: LoadProblem[];
}

const loadedTest = z.object({
  file: z.string(),
  line: z.number(),
  column: z.number(),
  name: z.string().nullable(),
  monitorId: z.string().nullable(),
  start: z.unknown(),
  steps: z.unknown(),
  expect: z.unknown(),
  others: z.array(z.object({ monitorId: z.string().nullable(), steps: z.unknown(), line: z.number() })),
});
const resultShape = z.object({
  type: z.literal("result"),
  tests: z.array(loadedTest),
  problems: z.array(z.object({ file: z.string().nullable(), line: z.number().nullable(), message: z.string() })),
});

/** Reads the child's answer; anything not in this shape is no answer. */
export function parseTestLoadResult(message: unknown): TestLoadResult | null {
  const parsed = resultShape.safeParse(message);
  if (!parsed.success) return null;
  return { tests: parsed.data.tests as LoadedTest[], problems: parsed.data.problems };
}
