import { afterEach, describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { UserError } from "../../cli/errors.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { deployFixture, removeAll } from "./deploy-harness.js";

/**
 * PagerDuty refuses to take a user off a team while an escalation policy of that team pages them
 * ("User cannot be removed as they belong to an escalation policy on this team"). Pulumi deletes
 * the membership after it has updated the policies, so a change that also takes the user off the
 * team's policy goes through; one that leaves them on it fails halfway through the up.
 */
const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];
afterEach(() => removeAll(dirs));

// The sample: team payments (alice, bob); its policy pages schedule payments-primary (alice, bob), then alice.
type Draft = Parameters<NonNullable<Parameters<typeof sampleManifest>[0]>>[0];
const without = (user: string, more: (d: Draft) => void = () => {}) =>
  sampleManifest((d) => {
    d.teams[0]!.members = d.teams[0]!.members.filter((m) => m.user !== user);
    more(d);
  });

const warningsOf = async (target: Manifest) =>
  (await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target, now })).plan.warnings.filter((w) => w.code === "team-member-on-policy");

describe("a user taken off a team whose escalation policy still pages them", () => {
  test("wk plan warns, naming the user, the team and the policy, for a direct target and for someone on a schedule the policy pages", async () => {
    const alice = await warningsOf(without("alice"));
    expect(alice).toEqual([expect.objectContaining({ subject: "payments" })]);
    expect(alice[0]!.message).toMatch(/user alice would be taken off team payments while its escalation policy payments-escalation still pages them/);
    expect(alice[0]!.message).toMatch(/User cannot be removed/);
    const bob = await warningsOf(without("bob"));
    expect(bob).toHaveLength(1);
    expect(bob[0]!.message).toMatch(/user bob .*\(schedule payments-primary in rule 1\)/);
  });

  test("taking the user off the policy in the same change, or the policy off the team, is no such case", async () => {
    const offPolicy = without("bob", (d) => {
      d.schedules[0]!.layers[0]!.users = ["alice"];
    });
    expect(await warningsOf(offPolicy)).toEqual([]);
    const policyOffTeam = without("alice", (d) => {
      d.escalationPolicies[0]!.teams = [];
    });
    expect(await warningsOf(policyOffTeam)).toEqual([]);
  });

  test("wk deploy refuses it before the engine starts", async () => {
    const p = await deployFixture(sampleManifest(), dirs);
    expect(await deployProject({ ...p.options, now }, p.deps)).toBe(0);
    await p.checkout(without("alice"));
    const error = await deployProject({ ...p.options, now, allowDestroy: true }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/user alice would be taken off team payments/);
    expect(p.calls).toHaveLength(1);
  });
});
