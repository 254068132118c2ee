import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { danglingReference, onCallSlices } from "../../cli/plan/oncall-slice.js";
import { UserError } from "../../cli/errors.js";
import { diffResources } from "../../cli/plan/resource-diff.js";
import { sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { sampleDraft, sampleManifest } from "../infra/sample-manifest.js";

type Draft = Omit<Manifest, "hash">;
type Gen = fc.GeneratorValue;

// Small id pools, so that edits, removals, renames and references to the same ids collide often.
const POOL = {
  users: ["u1", "u2", "u3", "u4", "u5"],
  teams: ["t1", "t2", "t3"],
  schedules: ["s1", "s2", "s3"],
  escalationPolicies: ["p1", "p2", "p3"],
  services: ["v1", "v2", "v3", "v4"],
  silences: ["w1", "w2"],
} as const;
type Kind = keyof typeof POOL;
const ORDER: Kind[] = ["users", "teams", "schedules", "escalationPolicies", "services", "silences"];

const ids = (draft: Draft, kind: Kind) => (draft[kind] as { id: string }[]).map((e) => e.id);
const some = (g: Gen, from: readonly string[], max = 2): string[] => (from.length === 0 ? [] : g(() => fc.uniqueArray(fc.constantFrom(...from), { maxLength: max })));
const one = <T>(g: Gen, ...values: T[]): T => g(() => fc.constantFrom(...values));

/** Optional lineage: earlier ids from the same pool (possibly ids still in use), an adopted PagerDuty id. */
function lineage(g: Gen, kind: Kind, id: string, adoptable: boolean): Record<string, unknown> {
  const previous = some(g, POOL[kind].filter((x) => x !== id), 1);
  const out: Record<string, unknown> = previous.length > 0 ? { previousIds: previous } : {};
  if (adoptable && g(fc.boolean)) out["pagerdutyId"] = one(g, "PABC123", "PXYZ789");
  return out;
}

function drawEntry(g: Gen, kind: Kind, id: string, draft: Draft): Draft[Kind][number] {
  const source = `policies/${kind}.ts`;
  switch (kind) {
    case "users": {
      const methods = g(fc.boolean) ? [{ id: "work", type: one(g, "email" as const, "sms" as const), address: one(g, "a@example.test", "b@example.test"), countryCode: null, label: "Work", sendShortEmail: false }] : undefined;
      return {
        id,
        ...lineage(g, kind, id, false),
        name: one(g, "Ann", "Bo"),
        email: one(g, `${id}@example.test`, "shared@example.test"),
        role: one(g, "user" as const, "limited_user" as const),
        timeZone: one(g, null, "UTC"),
        existing: g(fc.boolean),
        ...(methods ? { contactMethods: methods, notificationRules: g(fc.boolean) ? [{ contactMethod: "work", urgency: one(g, "high" as const, "low" as const), startDelayInMinutes: one(g, 0, 5) }] : [] } : {}),
        source,
      };
    }
    case "teams":
      return {
        id,
        ...lineage(g, kind, id, true),
        name: one(g, "Team A", "Team B"),
        description: one(g, null, "x"),
        members: some(g, ids(draft, "users"), 3).map((user) => ({ user, role: one(g, "manager" as const, "responder" as const) })),
        source,
      };
    case "schedules":
      return {
        id,
        ...lineage(g, kind, id, true),
        name: one(g, "Primary", "Secondary"),
        description: null,
        timeZone: one(g, "UTC", "Europe/Berlin"),
        teams: some(g, ids(draft, "teams"), 1),
        layers: [
          {
            name: "Weekly",
            start: "2026-01-05T09:00:00Z",
            end: null,
            rotationTurnLength: one(g, "1w", "1d"),
            rotationVirtualStart: "2026-01-05T09:00:00Z",
            users: some(g, ids(draft, "users"), 3),
            restrictions: [],
          },
        ],
        source,
      };
    case "escalationPolicies": {
      const targets = [...some(g, ids(draft, "users"), 1).map((t) => ({ type: "user" as const, id: t })), ...some(g, ids(draft, "schedules"), 2).map((t) => ({ type: "schedule" as const, id: t }))];
      return {
        id,
        ...lineage(g, kind, id, true),
        name: one(g, "Escalation", "Backup"),
        description: null,
        loops: one(g, 1, 2),
        rules: [{ escalationDelay: one(g, "10m", "30m"), targets }],
        teams: some(g, ids(draft, "teams"), 1),
        source,
      };
    }
    case "services": {
      const policies = ids(draft, "escalationPolicies");
      return {
        id,
        ...lineage(g, kind, id, true),
        name: one(g, "API", "Web"),
        description: null,
        escalationPolicy: policies.length > 0 ? one(g, ...policies) : "missing",
        team: one(g, null, ...ids(draft, "teams")),
        urgency: one(g, "high" as const, "low" as const),
        autoResolveTimeout: one(g, null, "4h"),
        acknowledgementTimeout: null,
        alertGrouping: null,
        routingKey: null,
        source,
      };
    }
    case "silences":
      return {
        id,
        kind: one(g, "maintenance" as const, "silence" as const),
        start: "2026-12-01T02:00:00Z",
        end: one(g, "2026-12-01T04:00:00Z", "2026-12-01T05:00:00Z"),
        comment: "upgrade",
        matchers: { monitors: [], services: some(g, ids(draft, "services"), 2), labels: {} },
        source,
      };
  }
}

/** Drops references to definitions that are not there (what the compiler refuses), in dependency order. */
function resolve(draft: Draft): Draft {
  const has = (kind: Kind, id: string) => ids(draft, kind).includes(id);
  draft.teams = draft.teams.map((t) => ({ ...t, members: t.members.filter((m) => has("users", m.user)) }));
  draft.schedules = draft.schedules.map((s) => ({ ...s, teams: s.teams.filter((id) => has("teams", id)), layers: s.layers.map((l) => ({ ...l, users: l.users.filter((id) => has("users", id)) })) }));
  draft.escalationPolicies = draft.escalationPolicies.map((p) => ({
    ...p,
    teams: p.teams.filter((id) => has("teams", id)),
    rules: p.rules.map((r) => ({ ...r, targets: r.targets.filter((t) => has(t.type === "user" ? "users" : "schedules", t.id)) })),
  }));
  draft.services = draft.services.filter((s) => has("escalationPolicies", s.escalationPolicy)).map((s) => ({ ...s, team: s.team !== null && has("teams", s.team) ? s.team : null }));
  draft.silences = draft.silences.map((w) => ({ ...w, matchers: { ...w.matchers, services: w.matchers.services.filter((id) => has("services", id)) } }));
  return draft;
}

function drawBase(g: Gen): Draft {
  const draft: Draft = { ...structuredClone(sampleDraft()), users: [], teams: [], schedules: [], escalationPolicies: [], services: [], silences: [] };
  for (const kind of ORDER) {
    for (const id of POOL[kind]) if (g(fc.integer, { min: 0, max: 3 }) > 0) (draft[kind] as unknown[]).push(drawEntry(g, kind, id, draft));
  }
  return resolve(draft);
}

/** One to three edits a pull request makes: a definition redrawn, removed, added or renamed, or a project setting. */
function drawTarget(g: Gen, base: Draft): Draft {
  const draft = structuredClone(base);
  for (let n = g(fc.integer, { min: 1, max: 3 }); n > 0; n--) {
    const kind = one(g, ...ORDER);
    const list = draft[kind] as { id: string }[];
    const present = ids(draft, kind);
    const absent = POOL[kind].filter((id) => !present.includes(id));
    const action = one(g, "edit", "edit", "remove", "add", "rename", "setting");
    if (action === "setting") {
      if (g(fc.boolean)) draft.settings = { ...draft.settings, publicUrl: one(g, null, "https://other.example.test/") };
      else draft.project = { name: "other" };
    } else if (action === "add" || present.length === 0) {
      if (absent.length > 0) list.push(drawEntry(g, kind, one(g, ...absent), draft));
    } else {
      const at = g(fc.integer, { min: 0, max: list.length - 1 });
      const id = list[at]!.id;
      if (action === "edit") list[at] = drawEntry(g, kind, id, draft);
      else if (action === "remove") list.splice(at, 1);
      else if (absent.length > 0) {
        // A rename the way a user writes it: the new id, the old one in previousIds, every reference moved.
        const to = one(g, ...absent);
        list[at] = { ...list[at]!, id: to, ...(kind === "silences" ? {} : { previousIds: [id] }) };
        const text = JSON.stringify({ ...draft, [kind]: undefined });
        const moved = JSON.parse(text.replaceAll(`"${id}"`, `"${to}"`)) as Draft;
        for (const other of ORDER) if (other !== kind) (draft[other] as unknown) = moved[other];
      }
    }
  }
  return resolve(draft);
}

async function resourceDiff(base: Manifest, target: Manifest) {
  return diffResources((await runUnderMocks(base)).resources, (await runUnderMocks(target)).resources);
}

describe("the plan's mock runs on the changed part of the on-call definitions", () => {
  test("the diff of the slices is the diff of the whole manifests, for any edits", async () => {
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const baseDraft = drawBase(g);
        const [base, target] = [sealManifest(baseDraft), sealManifest(drawTarget(g, baseDraft))];
        // Whole manifests, earlier ids naming what is gone included: nothing dangles.
        expect([danglingReference(base), danglingReference(target)]).toEqual([null, null]);
        const slices = onCallSlices(base, target);
        if (slices.kept < slices.of) cut++;
        expect(await resourceDiff(slices.base, slices.target)).toEqual(await resourceDiff(base, target));
      }),
      { numRuns: 120, endOnFailure: true },
    );
    // The property is about slices that leave something out: most runs must.
    expect(cut).toBeGreaterThan(60);
  }, 120_000);

  test("one changed service leaves out what neither refers to it nor is referred to by it", async () => {
    const draft = structuredClone(sampleDraft());
    draft.services.push({ ...draft.services[0]!, id: "search-api", name: "Search API" });
    const base = sealManifest(draft);
    const target = sealManifest({ ...draft, services: draft.services.map((s) => (s.id === "search-api" ? { ...s, urgency: "high" as const } : s)) });
    const slices = onCallSlices(base, target);
    // The service, its policy and what that policy pages: not the other service or its maintenance window.
    expect(slices.target.services.map((s) => s.id)).toEqual(["search-api"]);
    expect(slices.target.silences).toEqual([]);
    expect(slices.target.escalationPolicies.map((p) => p.id)).toEqual(["payments-escalation"]);
    const { plan } = await buildPlan({ base, baseSource: { kind: "file", ref: "m.json" }, target, now: new Date("2026-11-23T00:00:00Z") });
    expect(plan.resources.map((r) => [r.name, r.action, r.changes])).toEqual([["service:search-api", "update", [{ path: "incidentUrgencyRule.urgency", before: "severity_based", after: "high" }]]]);
  });

  test("a base from a file that refers to what it does not define is a user error naming the reference, not a crash", async () => {
    const now = new Date("2026-11-23T00:00:00Z");
    const target = sealManifest(sampleDraft());
    const cases: Array<[(d: Draft) => void, RegExp]> = [
      [(d) => d.schedules[0]!.layers[0]!.users.push("ghost"), /schedule "payments-primary" refers to user "ghost", which the manifest does not define/],
      [(d) => (d.services[0]!.escalationPolicy = "gone"), /service "payments-api" refers to escalation policy "gone"/],
      [(d) => d.silences[0]!.matchers.services.push("nowhere"), /silence "db-upgrade" refers to service "nowhere"/],
      [
        (d) => Object.assign(d.users[0]!, { contactMethods: [], notificationRules: [{ contactMethod: "phone", urgency: "high", startDelayInMinutes: 0 }] }),
        /user "alice" has a notification rule for contact method "phone", which the user does not declare/,
      ],
    ];
    for (const [edit, message] of cases) {
      const draft = structuredClone(sampleDraft());
      edit(draft);
      // Also a change the plan must run the program for, so the bad part is reached.
      draft.services[0]!.name = "Old name";
      const base = sealManifest(draft);
      const planned = buildPlan({ base, baseSource: { kind: "file", ref: "deployed.json" }, target, now });
      await expect(planned).rejects.toThrow(UserError);
      await expect(planned).rejects.toThrow(message);
    }
    // Earlier ids are names of what is gone, not references.
    const renamed = sampleManifest((d) => (d.users[0]!.previousIds = ["alice-old"]));
    expect(danglingReference(renamed)).toBeNull();
  });
});
