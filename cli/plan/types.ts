/**
 * The plan: what `wk plan` prints and `--format json` emits. The JSON shape is documented in
 * docs/plan-and-deploy.md; `formatVersion` changes when a field is renamed or removed.
 */
export const PLAN_FORMAT_VERSION = 1;

/** One leaf that differs. `before`/`after` are absent (not null) when the leaf did not exist on that side. */
export interface PropertyChange {
  /** Dotted path with array indexes, e.g. `schedule.expression`, `layers[0].users[1]`. */
  path: string;
  before?: unknown;
  after?: unknown;
}

export type EntryAction = "add" | "change" | "remove";
export type ResourceAction = "create" | "update" | "replace" | "delete";

export interface MonitorChange {
  id: string;
  action: EntryAction;
  changes: PropertyChange[];
}

export interface ResourceChange {
  /** Pulumi logical name, e.g. `service:payments-api`. */
  name: string;
  /** Pulumi type token, e.g. `pagerduty:index/service:Service`. */
  type: string;
  action: ResourceAction;
  changes: PropertyChange[];
  /** For `replace`: the changed properties that force it. */
  replaceBecause: string[];
}

/** Runtime-only configuration: channels, silences, secrets and settings. */
export interface ConfigChange {
  kind: "channel" | "silence" | "secret" | "settings";
  id: string;
  action: EntryAction;
  changes: PropertyChange[];
}

export type WarningCode =
  | "service-deleted"
  | "service-replaced"
  | "schedule-deleted"
  | "schedule-replaced"
  | "escalation-policy-without-targets"
  | "coverage-worse";

export interface PlanWarning {
  code: WarningCode;
  /** The manifest id concerned. */
  subject: string;
  message: string;
}

export interface PlanSource {
  /** `git`, `file` or `empty` (no base: everything is new). */
  kind: "git" | "file" | "empty";
  /** The git ref or file path as given; null for `empty`. */
  ref: string | null;
  /** Manifest content hash; null for `empty`. */
  hash: string | null;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  planToken: string;
  base: PlanSource;
  target: { hash: string };
  changesPresent: boolean;
  summary: {
    monitors: Record<EntryAction, number>;
    resources: Record<ResourceAction, number>;
    config: number;
    warnings: number;
  };
  monitors: MonitorChange[];
  resources: ResourceChange[];
  config: ConfigChange[];
  warnings: PlanWarning[];
}
