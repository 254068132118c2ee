import type { NotificationPreview } from "./notification-preview.js";

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
/** A monitor may also move: renamed with `previousIds`, it keeps its alerts under the new id. */
export type MonitorAction = EntryAction | "move";
/**
 * `move`: renamed with `previousIds`, Pulumi keeps the object through an alias (with any updates
 * listed). `import`: adopted with `pagerdutyId`, Pulumi takes over the existing object.
 */
export type ResourceAction = "create" | "update" | "replace" | "delete" | "move" | "import";

/** A function a monitor carries (see the manifest's `code` flags). */
export type CodeSlot = "condition" | "summary" | "run" | "extract";

/**
 * The source text of a code slot on each side, when the planner could read it; absent on the side
 * where the slot does not exist or its source is not available (a base read from a manifest).
 */
export interface CodeChange {
  slot: CodeSlot;
  before?: string;
  after?: string;
}

export interface MonitorChange {
  id: string;
  action: MonitorAction;
  /** For `move`: the id the monitor had in the base. */
  from?: string;
  changes: PropertyChange[];
  /** Source of the functions that changed (the manifest holds only their hash); absent when unknown. */
  code?: CodeChange[];
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
  /** For `move` (or a moved resource that is replaced): its logical name in the base. */
  from?: string;
  /** For `import`: the PagerDuty id of the object adopted. */
  importId?: string;
}

/** Runtime-only configuration: channels, silences, status pages, secrets and settings. */
export interface ConfigChange {
  kind: "channel" | "silence" | "statusPage" | "secret" | "settings";
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
  | "coverage-worse"
  /** A maintenance window PagerDuty would refuse to create or change (ended, or a started one moved); wk deploy refuses it. */
  | "maintenance-window-refused"
  /** A contact method re-added under a new id, which the deploy would adopt and then delete; wk deploy refuses it. */
  | "contact-method-readded"
  /** A user looked up by email (existing: true) that the plan creates, which PagerDuty refuses; wk deploy refuses it. */
  | "user-already-in-pagerduty"
  /** A user the stack created, now `existing: true`, which the deploy would delete; wk deploy refuses it. */
  | "existing-user-deleted"
  /** A user taken off a team whose escalation policy still pages them, which PagerDuty refuses; wk deploy refuses it. */
  | "team-member-on-policy"
  /** A user, service, policy or team deleted and created again under a new id with the same name (or email); wk deploy refuses it. */
  | "recreated-under-new-id"
  /** A monitor's summary function gave no text on the preview's sample; the preview says why. */
  | "summary-not-previewed";

export interface PlanWarning {
  code: WarningCode;
  /** The manifest id concerned. */
  subject: string;
  message: string;
}

export interface PlanSource {
  /** `git`, `file`, `stack` (what a Pulumi stack records as deployed) or `empty` (everything is new). */
  kind: "git" | "file" | "stack" | "empty";
  /** The git ref, file path or stack name as given; null for `empty`. */
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
    monitors: Record<MonitorAction, number>;
    resources: Record<ResourceAction, number>;
    config: number;
    warnings: number;
  };
  monitors: MonitorChange[];
  resources: ResourceChange[];
  config: ConfigChange[];
  warnings: PlanWarning[];
  /** What each added or changed monitor would send on trigger, per destination (secrets as placeholders). */
  notifications: NotificationPreview[];
}
