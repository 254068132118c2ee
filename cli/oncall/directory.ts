import type { EscalationPolicySpec, Manifest, OncallScheduleSpec, ServiceSpec, TeamSpec, UserSpec } from "../../sdk/manifest/schema.js";

/** The on-call part of a manifest, looked up by id: what the resolver and the escalation walk read. */
export interface OncallDirectory {
  users: ReadonlyMap<string, UserSpec>;
  teams: ReadonlyMap<string, TeamSpec>;
  schedules: ReadonlyMap<string, OncallScheduleSpec>;
  policies: ReadonlyMap<string, EscalationPolicySpec>;
  services: ReadonlyMap<string, ServiceSpec>;
}

type OncallPart = Pick<Manifest, "users" | "teams" | "schedules" | "escalationPolicies" | "services">;

export function oncallDirectory(manifest: OncallPart): OncallDirectory {
  return {
    users: new Map(manifest.users.map((u) => [u.id, u])),
    teams: new Map(manifest.teams.map((t) => [t.id, t])),
    schedules: new Map(manifest.schedules.map((s) => [s.id, s])),
    policies: new Map(manifest.escalationPolicies.map((p) => [p.id, p])),
    services: new Map(manifest.services.map((s) => [s.id, s])),
  };
}

/**
 * A user's name for people to read: "Priya Raman (priya-raman)", or the bare id when unknown.
 * Control characters in a name become "?": a name must not move a terminal's cursor or recolour it.
 */
export function personLabel(directory: OncallDirectory, userId: string): string {
  const user = directory.users.get(userId);
  // eslint-disable-next-line no-control-regex
  return user ? `${user.name.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?")} (${user.id})` : userId;
}
