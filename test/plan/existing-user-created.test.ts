import { afterEach, describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { UserError } from "../../cli/errors.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { deployFixture, removeAll } from "./deploy-harness.js";

/**
 * A user the project looked up by email (`existing: true`) is someone PagerDuty already has. Made
 * a created user, the deploy asks PagerDuty for a second user with that email, which it refuses
 * ("Email has already been taken") halfway through the up.
 */
const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const bobCreated = () => sampleManifest((d) => void (d.users[1]!.existing = false));

describe("an existing user made a created one", () => {
  test("wk plan warns that PagerDuty already has the email, and says to keep existing: true", async () => {
    const { plan } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target: bobCreated(), now });
    expect(plan.resources.map((r) => `${r.action} ${r.name}`)).toContain("create user:bob");
    const found = plan.warnings.filter((w) => w.code === "user-already-in-pagerduty");
    expect(found).toEqual([expect.objectContaining({ subject: "bob" })]);
    expect(found[0]!.message).toMatch(/user bob was looked up in PagerDuty by email \(existing: true\).*bob@example.test/);
    expect(found[0]!.message).toMatch(/keep existing: true/);
  });

  test("a user created from the start, or one that stays existing, is no such case", async () => {
    const { plan } = await buildPlan({ base: null, baseSource: { kind: "empty", ref: null }, target: bobCreated(), now });
    expect(plan.warnings.filter((w) => w.code === "user-already-in-pagerduty")).toEqual([]);
    const { plan: same } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target: sampleManifest(), now });
    expect(same.warnings.filter((w) => w.code === "user-already-in-pagerduty")).toEqual([]);
  });

  test("wk deploy refuses it before the engine starts", async () => {
    const p = await deployFixture(sampleManifest(), dirs);
    expect(await deployProject({ ...p.options, now }, p.deps)).toBe(0);
    await p.checkout(bobCreated());
    const error = await deployProject({ ...p.options, now, allowDestroy: true }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/user bob was looked up in PagerDuty by email/);
    expect(p.calls).toHaveLength(1);
  });
});

/**
 * The other way round: a user this stack created, now marked `existing: true`. The program no
 * longer declares the account, so the deploy deletes it in PagerDuty (after looking it up by email
 * for the schedules and the team), and every later deploy fails to find it.
 */
describe("a created user made an existing one", () => {
  const aliceExisting = () => sampleManifest((d) => void (d.users[0]!.existing = true));

  test("wk plan warns that the deploy deletes the account it then looks up", async () => {
    const { plan } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target: aliceExisting(), now });
    expect(plan.resources.map((r) => `${r.action} ${r.name}`)).toContain("delete user:alice");
    const found = plan.warnings.filter((w) => w.code === "existing-user-deleted");
    expect(found).toEqual([expect.objectContaining({ subject: "alice" })]);
    expect(found[0]!.message).toMatch(/user alice is now existing: true, but this stack created the account: the deploy deletes it in PagerDuty/);
  });

  test("wk deploy refuses it before the engine starts, even with --allow-destroy", async () => {
    const p = await deployFixture(sampleManifest(), dirs);
    expect(await deployProject({ ...p.options, now }, p.deps)).toBe(0);
    await p.checkout(aliceExisting());
    const error = await deployProject({ ...p.options, now, allowDestroy: true }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/user alice is now existing: true/);
    expect(p.calls).toHaveLength(1);
  });
});
