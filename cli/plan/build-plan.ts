import type { Manifest } from "../../sdk/manifest/index.js";
import { diffConfig, diffMonitors } from "./manifest-diff.js";
import type { RegisteredResource } from "./mock-run.js";
import { EXIT, UserError } from "../errors.js";
import { danglingReference, onCallSlices } from "./oncall-slice.js";
import { diffResources } from "./resource-diff.js";
import { planToken } from "./token.js";
import { PLAN_FORMAT_VERSION, type MonitorAction, type Plan, type PlanSource, type ResourceAction } from "./types.js";
import { planWarnings, summaryWarnings } from "./warnings.js";
import type { SummaryTexts } from "./summary-protocol.js";
import { notificationPreviews } from "./notification-preview.js";

export interface PlanInput {
  base: Manifest | null;
  baseSource: Omit<PlanSource, "hash">;
  target: Manifest;
  /** Start of the coverage window. */
  now: Date;
  /** Stand-in integration key for the mock runs (tests pass a canary to prove it never shows). */
  mockIntegrationKey?: string;
  /** What previewed summary functions returned on the sample (summary-preview.ts); without it they are named, not shown. */
  summaries?: SummaryTexts;
}

export interface PlanTimings {
  mockRuns: number;
  diff: number;
}

/** Registered resources of a manifest under mocks; an empty base registers nothing. */
async function resourcesOf(manifest: Manifest | null, integrationKey?: string): Promise<RegisteredResource[]> {
  if (!manifest) return [];
  // Loaded on demand: Pulumi takes most of a second to load, and monitors-only plans never need it.
  const { runUnderMocks } = await import("./mock-run.js");
  return (await runUnderMocks(manifest, integrationKey)).resources;
}

/**
 * Builds the plan: mock runs of the Pulumi program on both manifests, cut down to the definitions
 * whose resources can differ (oncall-slice.ts), then pure diffs.
 */
export async function buildPlan(input: PlanInput, clock: () => number = () => performance.now()): Promise<{ plan: Plan; timings: PlanTimings }> {
  const t0 = clock();
  const slices = input.base ? onCallSlices(input.base, input.target) : null;
  if (slices?.unchanged) {
    // Nothing the program reads changed (a monitors-only change): the resource diff is empty.
    const t1 = clock();
    return { plan: diffPlan(input, [], []), timings: { mockRuns: 0, diff: clock() - t1 } };
  }
  // A base from a file or a stack is not compiled here: one the program could not declare is the
  // user's problem to fix, not a crash of the planner.
  const dangling = input.base ? danglingReference(input.base) : null;
  if (dangling !== null) {
    const base = [input.baseSource.kind, input.baseSource.ref].filter((part) => part !== null).join(" ");
    throw new UserError(
      `cannot plan against the base (${base}): ${dangling}`,
      EXIT.findings,
      "the base was edited or not written by wk compile or wk deploy: pass the manifest.json that `wk deploy` saved, or compare with a git ref: --base main",
    );
  }
  const baseResources = await resourcesOf(slices?.base ?? null, input.mockIntegrationKey);
  const targetResources = await resourcesOf(slices?.target ?? input.target, input.mockIntegrationKey);
  const t1 = clock();
  const plan = diffPlan(input, baseResources, targetResources);
  return { plan, timings: { mockRuns: t1 - t0, diff: clock() - t1 } };
}

/** The pure part: from two manifests and their registered resources to the plan. */
export function diffPlan(input: PlanInput, baseResources: RegisteredResource[], targetResources: RegisteredResource[]): Plan {
  const monitors = diffMonitors(input.base, input.target);
  const resources = diffResources(baseResources, targetResources);
  const config = diffConfig(input.base, input.target);
  const notifications = notificationPreviews(input.base, input.target, monitors, input.summaries);
  const warnings = [...planWarnings(input.base, input.target, resources, input.now), ...summaryWarnings(notifications)];
  const baseHash = input.base?.hash ?? null;
  const count = <A extends string>(actions: readonly A[], list: readonly { action: A }[]) =>
    Object.fromEntries(actions.map((a) => [a, list.filter((e) => e.action === a).length])) as Record<A, number>;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    planToken: planToken(baseHash, input.target.hash),
    base: { ...input.baseSource, hash: baseHash },
    target: { hash: input.target.hash },
    changesPresent: monitors.length + resources.length + config.length > 0,
    summary: {
      monitors: count<MonitorAction>(["add", "change", "remove", "move"], monitors),
      resources: count<ResourceAction>(["create", "update", "replace", "delete", "move", "import"], resources),
      config: config.length,
      warnings: warnings.length,
    },
    monitors,
    resources,
    config,
    warnings,
    notifications,
  };
}
