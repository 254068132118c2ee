import type { Duration } from "../duration.js";
import type { SecretRef } from "../secret.js";
import type { ContactMethod, NotificationRule } from "./contact-methods.js";
import { define, type Construct } from "./definition.js";

/** Lets a definition keep its deployed object (and its history) under a new id. */
export interface Renamable {
  /**
   * Ids this definition had before: the plan shows a move instead of a delete and a create, Pulumi
   * keeps the PagerDuty object (and its incident history), and the runtime keeps open alerts.
   */
  previousIds?: string[];
}

/** Lets a definition take over an object that already exists in PagerDuty instead of creating one. */
export interface Adoptable {
  /** The PagerDuty id of an existing object (e.g. "PABC123") to import on the next deploy. */
  pagerdutyId?: string;
}

export interface UserProps extends Renamable {
  id: string;
  name: string;
  email: string;
  role?: "admin" | "limited_user" | "observer" | "owner" | "read_only_user" | "restricted_access" | "user";
  timeZone?: string;
  /** The user already exists in PagerDuty: look it up by email instead of creating it. */
  existing?: boolean;
  /** How PagerDuty can reach the user; when given, PagerDuty's list is managed as code. */
  contactMethods?: ContactMethod[];
  /** When and how the user is notified of an incident assigned to them, per urgency. */
  notificationRules?: NotificationRule[];
}
export type User = Construct<"user"> & UserProps;

/** A PagerDuty user. */
export function user(props: UserProps): User {
  return define({ kind: "user", ...props });
}

export interface TeamProps extends Renamable, Adoptable {
  id: string;
  name: string;
  description?: string;
  members?: (User | { user: User; role: "manager" | "responder" | "observer" })[];
}
export type Team = Construct<"team"> & TeamProps;

/** A team and its members (plain users are responders). */
export function team(props: TeamProps): Team {
  return define({ kind: "team", ...props });
}

export type Weekday = "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday";

/** Limits a layer to part of the day or week, in the schedule's time zone. */
export type Restriction =
  | { daily: { start: string; duration: Duration } }
  | { weekly: { day: Weekday; start: string; duration: Duration } };

export interface ScheduleLayerProps {
  name?: string;
  /** ISO 8601 date-time when the layer takes effect. */
  start: string;
  end?: string;
  /** Length of one person's turn: "1d", "1w" (PagerDuty allows 1 h to 1 year). */
  rotation: Duration;
  /** ISO 8601 date-time of a hand-off; turns are counted from it (default: start). */
  handoff?: string;
  /** Users in rotation order. */
  users: User[];
  restrictions?: Restriction[];
}

export interface ScheduleProps extends Renamable, Adoptable {
  id: string;
  name?: string;
  description?: string;
  /** IANA time zone, e.g. "Europe/Berlin". */
  timeZone: string;
  layers: ScheduleLayerProps[];
  teams?: Team[];
}
export type Schedule = Construct<"schedule"> & ScheduleProps;

/** An on-call schedule made of rotation layers. */
export function schedule(props: ScheduleProps): Schedule {
  return define({ kind: "schedule", ...props });
}

export interface EscalationRuleProps {
  /** Time before escalating to the next rule (PagerDuty minimum: 1 minute). */
  delay: Duration;
  targets: (User | Schedule)[];
}

export interface EscalationPolicyProps extends Renamable, Adoptable {
  id: string;
  name?: string;
  description?: string;
  /** Times the whole policy repeats when nobody acknowledges (0..9). */
  loops?: number;
  rules: EscalationRuleProps[];
  teams?: Team[];
}
export type EscalationPolicy = Construct<"escalationPolicy"> & EscalationPolicyProps;

/** Who gets paged, in which order, after how long. */
export function escalationPolicy(props: EscalationPolicyProps): EscalationPolicy {
  return define({ kind: "escalationPolicy", ...props });
}

export interface ServiceProps extends Renamable, Adoptable {
  id: string;
  name?: string;
  description?: string;
  escalationPolicy: EscalationPolicy;
  team?: Team;
  urgency?: "high" | "low" | "severity_based";
  /** Incidents resolve by themselves after this long (null: never). */
  autoResolveTimeout?: Duration | null;
  /** An acknowledged incident re-triggers after this long (null: never). */
  acknowledgementTimeout?: Duration | null;
  alertGrouping?: { type: "time" | "intelligent" | "content_based"; timeout?: Duration };
  /** Events API v2 routing key; default: the integration key provisioned by `wk deploy`. */
  routingKey?: SecretRef;
}
export type Service = Construct<"service"> & ServiceProps;

/** A PagerDuty service; monitors route to it with `service: ...`. */
export function service(props: ServiceProps): Service {
  return define({ kind: "service", ...props });
}
