import { afterEach, describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { deployProject } from "../../cli/plan/deploy-project.js";
import { UserError } from "../../cli/errors.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { deployFixture, removeAll } from "./deploy-harness.js";

/**
 * PagerDuty keeps one contact method per user, type and address, and the provider takes a method
 * it is asked to create for the one that already has that address. A method whose id changes is
 * a create under the new name and a delete under the old: Pulumi creates first (adopting the very
 * method), then deletes the old resource, which deletes that method in PagerDuty, with the
 * notification rules on it. The user is left without the phone they are paged on.
 */
const now = new Date("2026-11-21T00:00:00Z");
const dirs: string[] = [];
afterEach(() => removeAll(dirs));

const withMobile = (methodId: string, address = "15123456789") =>
  sampleManifest((d) => {
    d.users[0]!.contactMethods = [{ id: methodId, type: "phone", address, countryCode: 49, label: "Mobile", sendShortEmail: false }];
    d.users[0]!.notificationRules = [{ contactMethod: methodId, urgency: "high", startDelayInMinutes: 0 }];
  });

const plan = async (base: Manifest, target: Manifest) =>
  (await buildPlan({ base, baseSource: { kind: "file", ref: "deployed.json" }, target, now })).plan;

describe("a contact method re-added under another id", () => {
  test("wk plan warns that the deploy would delete the method it re-adds, naming both ids and the fix", async () => {
    const { warnings } = await plan(withMobile("mobile"), withMobile("cell"));
    const found = warnings.filter((w) => w.code === "contact-method-readded");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ subject: "alice" });
    expect(found[0]!.message).toMatch(/contact method "cell" of user alice has the phone number of "mobile", which this plan deletes/);
    expect(found[0]!.message).toMatch(/keep the id "mobile"/);
  });

  test("a method whose address changes with its id, or that stays, is no such case", async () => {
    expect((await plan(withMobile("mobile"), withMobile("cell", "15199999999"))).warnings.filter((w) => w.code === "contact-method-readded")).toEqual([]);
    expect((await plan(withMobile("mobile"), withMobile("mobile"))).warnings.filter((w) => w.code === "contact-method-readded")).toEqual([]);
  });

  test("wk deploy refuses it before the engine starts, even with --allow-destroy", async () => {
    const p = await deployFixture(withMobile("mobile"), dirs);
    expect(await deployProject({ ...p.options, now }, p.deps)).toBe(0);
    await p.checkout(withMobile("cell"));
    const error = await deployProject({ ...p.options, now, allowDestroy: true }, p.deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/contact method "cell" of user alice has the phone number of "mobile"/);
    expect(p.calls).toHaveLength(1);
  });
});
