import { afterEach, describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { UserError } from "../../cli/errors.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { deployFixture, removeAll } from "./deploy-harness.js";

/**
 * A definition whose id changes without `previousIds` is a delete of the old object and a create
 * of a new one. Pulumi creates first, and PagerDuty keeps one service, escalation policy and team
 * per name and one user per email: the create is refused ("Name has already been taken") halfway
 * through the up. Had it gone through, the service would have lost its incidents.
 */
const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const serviceRenamed = (previous: boolean) =>
  sampleManifest((d) => {
    d.services[0]!.id = "payments";
    if (previous) d.services[0]!.previousIds = ["payments-api"];
    d.silences[0]!.matchers.services = ["payments"];
    d.monitors[0]!.service = "payments";
  });

const userRenamed = () =>
  sampleManifest((d) => {
    d.users[0]!.id = "alice-adams";
    d.teams[0]!.members[0]!.user = "alice-adams";
    d.escalationPolicies[0]!.rules[1]!.targets[0]!.id = "alice-adams";
    d.schedules[0]!.layers[0]!.users[0] = "alice-adams";
  });

const warningsOf = async (target: Manifest) =>
  (await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target, now })).plan.warnings.filter((w) => w.code === "recreated-under-new-id");

describe("a definition given a new id without previousIds", () => {
  test("wk plan warns that PagerDuty refuses the new object while the old one has its name, and says to add previousIds", async () => {
    const service = await warningsOf(serviceRenamed(false));
    expect(service).toEqual([expect.objectContaining({ subject: "payments" })]);
    expect(service[0]!.message).toMatch(/service payments has the name "Payments API" of service payments-api, which this plan deletes/);
    expect(service[0]!.message).toMatch(/previousIds: \["payments-api"\]/);
    const user = await warningsOf(userRenamed());
    expect(user).toEqual([expect.objectContaining({ subject: "alice-adams" })]);
    expect(user[0]!.message).toMatch(/user alice-adams has the email "alice@example.test" of user alice/);
  });

  test("with previousIds it is a move, and no such case", async () => {
    expect(await warningsOf(serviceRenamed(true))).toEqual([]);
  });

  test("wk deploy refuses it before the engine starts, even with --allow-destroy", async () => {
    const p = await deployFixture(sampleManifest(), dirs);
    expect(await deployProject({ ...p.options, now }, p.deps)).toBe(0);
    await p.checkout(serviceRenamed(false));
    const error = await deployProject({ ...p.options, now, allowDestroy: true }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/service payments has the name "Payments API" of service payments-api/);
    expect(p.calls).toHaveLength(1);
  });
});
