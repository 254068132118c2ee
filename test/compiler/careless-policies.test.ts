import { describe, expect, it } from "vitest";
import { tempProjects } from "./temp-project.js";

/** On-call policy mistakes a new author makes, each reported as a finding with its fix. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "careless", secrets: [] });\n`;

describe("on-call policies a careless author writes", () => {
  it("a schedule with no layers is an error at its layers property that says nobody is on call and shows a layer", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { schedule } from "watchkeeper";

export const empty = schedule({
  id: "empty-rota",
  timeZone: "Europe/Berlin",
  layers: [],
});
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const d = result.diagnostics.find((x) => x.code === "WK3001" && x.message.includes('"empty-rota"'));
    expect(d).toMatchObject({ severity: "error", file: "policies/oncall.ts", line: 6, column: 3 });
    expect(d!.message).toMatch(/no layers, so nobody is ever on call/);
    expect(d!.hint).toMatch(/layers: \[\{ start: .*rotation: .*users: /);
  });

  it("a monitor or service owned by a team with no members, or by a misspelt team id, is a warning naming the team", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { escalationPolicy, service, team, user } from "watchkeeper";

export const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
export const nobody = team({ id: "nobody-team", name: "Nobody", members: [] });
export const payments = team({ id: "payments", name: "Payments", members: [alice] });
export const policy = escalationPolicy({ id: "esc", rules: [{ delay: "15m", targets: [alice] }], loops: 1 });
export const svc = service({ id: "svc", name: "Svc", escalationPolicy: policy, team: nobody });
`,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";
import { nobody } from "../policies/oncall.js";

export const a = monitor({ id: "a", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), owner: nobody });
export const b = monitor({ id: "b", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), owner: "paymnets" });
export const c = monitor({ id: "c", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), owner: "dba@example.com" });
`,
    });
    const found = result.diagnostics.filter((d) => d.code === "owner-teams");
    const about = (what: string) => found.find((d) => d.message.startsWith(what));
    expect(about('monitor "a"')).toMatchObject({ severity: "warning", file: "monitors/site.ts", line: 4 });
    expect(about('monitor "a"')!.message).toMatch(/team "nobody-team", which has no members/);
    expect(about('service "svc"')).toMatchObject({ severity: "warning", file: "policies/oncall.ts", line: 7 });
    expect(about('monitor "b"')!.message).toMatch(/owner "paymnets" is not a team/);
    expect(about('monitor "b"')!.hint).toMatch(/did you mean "payments"/);
    expect(about('monitor "c"')).toBeUndefined();
    expect(found).toHaveLength(3);
  });

  it("one schedule the SDK cannot read does not hide what is wrong with the other schedules and policies", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { escalationPolicy, schedule, user } from "watchkeeper";

export const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
export const broken = schedule({
  id: "broken",
  timeZone: "Europe/Berlin",
  layers: [{ start: "2026-01-05T09:00:00", rotation: "1w", users: alice as any }],
});
export const other = schedule({ id: "other", timeZone: "Europe/Berln", layers: [{ start: "2026-01-05T09:00:00", rotation: "1w", users: [alice] }] });
export const policy = escalationPolicy({ id: "esc", rules: [{ delay: "0m", targets: [other, broken] }], loops: 1 });
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const codes = result.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}`);
    expect(codes).toContain("WK4001 policies/oncall.ts:4");
    expect(result.diagnostics.find((d) => d.code === "WK4001")!.message).toMatch(/^schedule "broken" holds a value the SDK cannot read: TypeError: /);
    expect(result.diagnostics.find((d) => d.code === "WK4001")!.hint).toMatch(/forced past the types \(`as any`/);
    expect(codes).toContain("valid-schedules policies/oncall.ts:9");
    expect(codes).toContain("pagerduty-limits policies/oncall.ts:10");
  });

  it("a schedule layer with no users is an error at its users property that says nobody is on call in it", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { schedule } from "watchkeeper";

export const rota = schedule({
  id: "rota",
  timeZone: "Europe/Berlin",
  layers: [{ start: "2026-01-05T09:00:00", rotation: "1w", users: [] }],
});
`,
    });
    const d = result.diagnostics.find((x) => x.code === "WK3001");
    expect(d).toMatchObject({ severity: "error", file: "policies/oncall.ts", line: 6, column: 60 });
    expect(d!.message).toMatch(/layers\.0\.users: a layer with no users, so nobody is on call/);
    expect(d!.hint).toMatch(/users: \[alice, bob\]/);
  });

  it("a user listed twice in a team is an error at the team, since only one of the roles would apply", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { team, user } from "watchkeeper";

export const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
export const ops = team({ id: "ops", name: "Ops", members: [alice, { user: alice, role: "manager" }] });
`,
    });
    const d = result.diagnostics.find((x) => x.code === "unique-ids");
    expect(d).toMatchObject({ severity: "error", file: "policies/oncall.ts", line: 4 });
    expect(d!.message).toMatch(/team "ops" lists user "alice" more than once/);
    expect(d!.hint).toMatch(/list each member once/);
  });

  it("a silence or maintenance window that names nothing to mute is an error, since it would mute every alert", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/quiet.ts": `import { maintenanceWindow, silence } from "watchkeeper";

export const quiet = silence({ id: "quiet", start: "2026-12-24T18:00:00Z", end: "2026-12-26T08:00:00Z", comment: "holidays" });
export const upgrade = maintenanceWindow({ id: "upgrade", start: "2026-12-05T22:00:00Z", end: "2026-12-06T02:00:00Z", services: [] });
`,
    });
    const found = result.diagnostics.filter((d) => d.code === "valid-schedules");
    expect(found.find((d) => d.line === 3)).toMatchObject({ severity: "error", file: "policies/quiet.ts" });
    expect(found.find((d) => d.line === 3)!.message).toMatch(/silence "quiet" names no monitors, services or labels, so it would mute every alert/);
    expect(found.find((d) => d.line === 4)!.message).toMatch(/maintenance window "upgrade" names no/);
    expect(found.find((d) => d.line === 4)!.hint).toMatch(/services: \[/);
  });

  it("a date that is not on the calendar (February 30, April 31) is refused, not moved to the next month", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { schedule, user } from "watchkeeper";

export const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
export const rota = schedule({
  id: "rota",
  timeZone: "Europe/Berlin",
  layers: [
    { start: "2026-02-30T09:00:00", rotation: "1w", users: [alice] },
    { start: "2026-04-31T09:00:00+02:00", end: "2027-02-29T00:00:00Z", rotation: "1w", users: [alice] },
  ],
});
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.code === "valid-schedules").map((d) => d.message);
    expect(found).toEqual([
      'schedule "rota" layer 1: start "2026-02-30T09:00:00" is not a date: February 2026 has 28 days',
      'schedule "rota" layer 2: end "2027-02-29T00:00:00Z" is not a date: February 2027 has 28 days',
      'schedule "rota" layer 2: start "2026-04-31T09:00:00+02:00" is not a date: April 2026 has 30 days',
    ]);
  });

  it("a reference built by hand (as any) to a user, policy or team the project does not define is an error at its place, not a plan that deploy cannot apply", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { escalationPolicy, schedule, service, team, user } from "watchkeeper";

export const alice = user({ id: "alice", name: "Alice", email: "alice@example.com" });
export const rota = schedule({ id: "rota", timeZone: "UTC", layers: [{ start: "2026-01-05T09:00:00Z", rotation: "1w", users: [alice] }] });
export const policy = escalationPolicy({
  id: "policy",
  loops: 1,
  rules: [{ delay: "30m", targets: [rota, { kind: "user", id: "alicee" } as any] }],
});
export const svc = service({
  id: "svc",
  name: "Svc",
  escalationPolicy: { kind: "escalationPolicy", id: "policyy" } as any,
});
export const ops = team({ id: "ops", name: "Ops", members: [{ kind: "user", id: "bob" } as any] });
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.code === "WK3002");
    expect(found.map((d) => [d.severity, d.file, d.line, d.message, d.hint])).toEqual([
      ["error", "policies/oncall.ts", 8, 'escalation policy "policy" rules.0.targets.1: user "alicee" is not defined in the project', 'did you mean "alice"? Pass the definition itself, imported from the module that exports it: a reference built by hand names nothing that wk deploy or the runtime can find'],
      ["error", "policies/oncall.ts", 13, 'service "svc" escalationPolicy: escalation policy "policyy" is not defined in the project', 'did you mean "policy"? Pass the definition itself, imported from the module that exports it: a reference built by hand names nothing that wk deploy or the runtime can find'],
      ["error", "policies/oncall.ts", 15, 'team "ops" members.0.user: user "bob" is not defined in the project', "pass the definition itself, imported from the module that exports it: a reference built by hand names nothing that wk deploy or the runtime can find"],
    ]);
  });
});
