import { describe, expect, it } from "vitest";
import { parseRulesFile } from "./prometheus-rules.js";
import { monitorLabelsSchema } from "../../sdk/manifest/schema.js";
import { camel, draftModules, kebab, ourDuration } from "./rule-to-monitor.js";

describe("ids and names from Prometheus rule names", () => {
  it("kebab-case ids split words the way people read them, at most 63 characters", () => {
    expect(kebab("KubePodCrashLooping")).toBe("kube-pod-crash-looping");
    expect(kebab("HTTPRequestsSlow")).toBe("http-requests-slow");
    expect(kebab("etcd_high_fsync_durations")).toBe("etcd-high-fsync-durations");
    expect(kebab("Node:disk:full!")).toBe("node-disk-full");
    expect(kebab("ÜberAlert")).toBe("uber-alert");
    expect(kebab("!!!")).toBe("alert");
    const long = kebab("A".repeat(10) + "VeryLongAlertNameThatKeepsGoingAndGoingPastEveryLimitWeHave");
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("binding names are identifiers", () => {
    expect(camel("checkout-error-rate")).toBe("checkoutErrorRate");
    expect(camel("5xx-errors")).toBe("alert5xxErrors");
    expect(camel("delete")).toBe("deleteAlert");
  });

  it("Prometheus durations become one-unit durations", () => {
    expect(ourDuration("1h30m")).toBe("90m");
    expect(ourDuration("1y")).toBe("365d");
    expect(ourDuration("2w")).toBe("2w");
    expect(ourDuration("1m30s")).toBe("90s");
    expect(ourDuration("1500ms")).toBe("1500ms");
  });

  it("ids stay unique across groups and stay the same on every run, even when cut to 63 characters", () => {
    const name = "SomeExtremelyLongAlertNameThatGoesOnAndOnBeyondTheSixtyThreeCharacterLimit";
    const text = `groups:
  - name: a
    rules:
      - { alert: ${name}, expr: up == 0, labels: { severity: critical } }
      - { alert: ${name}, expr: up == 0, labels: { severity: critical } }
  - name: b
    rules:
      - { alert: ${name}, expr: up == 0, labels: { severity: warning } }
`;
    const parsed = parseRulesFile(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const ids = () => draftModules(parsed.groups, "svc").flatMap((m) => m.monitors.map((d) => d.id));
    const first = ids();
    expect(new Set(first).size).toBe(3);
    for (const id of first) expect(id.length).toBeLessThanOrEqual(63);
    expect(first[1]).toMatch(/-critical$/);
    expect(first[2]).toMatch(/-warning$/);
    expect(ids()).toEqual(first);
  });
});

describe("rules files are data: nothing in one becomes code in a module", () => {
  it("names and annotations that try to close a comment or a string stay text", async () => {
    const { generateModule } = await import("./generate-module.js");
    const { Project, SyntaxKind } = await import("ts-morph");
    const evil = "Evil */ globalThis.pwned = 1; /*";
    const text = [
      "groups:",
      `  - name: "grp\u2028globalThis.pwned = 2 */ x"`,
      "    rules:",
      `      - alert: "${evil}"`,
      "        expr: up == 0",
      "        labels: { severity: warning }",
      "        annotations:",
      '          summary: "`${globalThis.pwned = 3}` \\\\ {{ humanize $value }}"',
      '          dashboard: "line\u2029globalThis.pwned = 4"',
    ].join("\n");
    const parsed = parseRulesFile(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [draft] = draftModules(parsed.groups, "svc");
    const module = generateModule({ draft: draft!, service: { exportName: "svc", specifier: "../svc.js" }, server: "http://p:9090", rulesFile: "r.yml" });
    const source = new Project({ useInMemoryFileSystem: true }).createSourceFile("/m.ts", module);
    // Two imports, the server constant and one monitor: nothing else is a statement.
    expect(source.getStatements().map((s) => s.getKindName())).toEqual(["ImportDeclaration", "ImportDeclaration", "VariableStatement", "VariableStatement"]);
    expect(source.getDescendantsOfKind(SyntaxKind.BinaryExpression).map((b) => b.getText())).not.toContainEqual(expect.stringContaining("pwned"));
    expect(module).toContain('name: "Evil */ globalThis.pwned = 1; /*"');
  });
});

describe("group fields without an equivalent", () => {
  // Debian's promtool (2.42) predates query_offset (Prometheus 2.53), so it is not in the promtool-checked fixture.
  it("query_offset and limit become notes at their line", () => {
    const parsed = parseRulesFile("groups:\n  - name: g\n    interval: 1m\n    query_offset: 1m\n    limit: 5\n    rules:\n      - alert: A\n        expr: up == 0\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [module] = draftModules(parsed.groups, "svc");
    expect(module!.notes.map((n) => [n.at.line, n.message.split(":")[0]])).toEqual([
      [5, "limit"],
      [4, "query_offset"],
    ]);
    expect(module!.monitors[0]!.every).toBe("1m");
  });
});

describe("label names a monitor cannot hold", () => {
  it("a rule's or group's label starting with __ is imported under the name wk validate accepts, with a note naming the rule and both names", () => {
    const parsed = parseRulesFile(`groups:
  - name: g
    labels:
      __shard: eu-1
    rules:
      - alert: DiskFull
        expr: up == 0
        labels:
          __tier: gold
          __1: one
          __team: old
          team: payments
          __: nothing
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [monitor] = draftModules(parsed.groups, "svc")[0]!.monitors;
    expect(monitor!.labels).toEqual({ _1: "one", shard: "eu-1", team: "payments", tier: "gold" });
    expect(monitorLabelsSchema.safeParse(monitor!.labels).success).toBe(true);
    const notes = monitor!.notes.map((n) => [n.at.line, n.message]);
    expect(notes).toContainEqual([4, 'alert DiskFull: label __shard is imported as shard: a monitor\'s label names cannot start with "__" (reserved, as in Prometheus); silences and summaries ({{labels.shard}}) use the new name']);
    expect(notes).toContainEqual([9, 'alert DiskFull: label __tier is imported as tier: a monitor\'s label names cannot start with "__" (reserved, as in Prometheus); silences and summaries ({{labels.tier}}) use the new name']);
    expect(notes).toContainEqual([11, 'alert DiskFull: label __team: "old" is not imported: a monitor\'s label names cannot start with "__" (reserved, as in Prometheus), and team is taken by another label of the rule']);
    expect(notes).toContainEqual([13, 'alert DiskFull: label __: "nothing" is not imported: a monitor\'s label names cannot start with "__" (reserved, as in Prometheus)']);
  });

  it("a label name with characters a monitor refuses or a leading digit is imported under the compiler's suggested name, and the file still parses", () => {
    const parsed = parseRulesFile(`groups:
  - name: g
    labels:
      k8s-cluster: eu-1
    rules:
      - alert: DiskFull
        expr: up == 0
        labels:
          team name: payments
          1st: one
          owner-team: old
          owner_team: kept
          sev-erity: x
          "\u00e9": accent
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [monitor] = draftModules(parsed.groups, "svc")[0]!.monitors;
    expect(monitor!.labels).toEqual({ _1st: "one", k8s_cluster: "eu-1", owner_team: "kept", sev_erity: "x", team_name: "payments" });
    expect(monitorLabelsSchema.safeParse(monitor!.labels).success).toBe(true);
    const why = "a monitor's label names are letters, digits and _, not starting with a digit";
    const notes = monitor!.notes.map((n) => [n.at.line, n.message]);
    expect(notes).toContainEqual([4, `alert DiskFull: label k8s-cluster is imported as k8s_cluster: ${why}; silences and summaries ({{labels.k8s_cluster}}) use the new name`]);
    expect(notes).toContainEqual([9, `alert DiskFull: label team name is imported as team_name: ${why}; silences and summaries ({{labels.team_name}}) use the new name`]);
    expect(notes).toContainEqual([10, `alert DiskFull: label 1st is imported as _1st: ${why}; silences and summaries ({{labels._1st}}) use the new name`]);
    expect(notes).toContainEqual([11, `alert DiskFull: label owner-team: "old" is not imported: ${why}, and owner_team is taken by another label of the rule`]);
    expect(notes).toContainEqual([14, `alert DiskFull: label \u00e9: "accent" is not imported: ${why}`]);
  });

  it("a label whose new name is severity is not imported, with a note", () => {
    const parsed = parseRulesFile("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels:\n          severity: critical\n          -severity: x\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [monitor] = draftModules(parsed.groups, "svc")[0]!.monitors;
    expect(monitor!.labels).toEqual({});
    expect(monitor!.notes.map((n) => n.message)).toContainEqual('alert A: label -severity: "x" is not imported: a monitor\'s label names are letters, digits and _, not starting with a digit, and severity is taken by the severity');
  });

  it("annotation names a monitor could not hold as labels are noted and left out, without stopping the file", () => {
    const parsed = parseRulesFile("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          dashboard-url: https://grafana/d/1\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [monitor] = draftModules(parsed.groups, "svc")[0]!.monitors;
    expect(monitor!.notes.map((n) => n.message)).toEqual(['annotation dashboard-url: "https://grafana/d/1" is not imported: monitors carry a summary, a description and a runbook only']);
  });

  it("annotation names starting with __ are noted as before: they never become labels", () => {
    const parsed = parseRulesFile("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          __note: kept out\n");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [monitor] = draftModules(parsed.groups, "svc")[0]!.monitors;
    expect(monitor!.labels).toEqual({});
    expect(monitor!.notes.map((n) => n.message)).toEqual(['annotation __note: "kept out" is not imported: monitors carry a summary, a description and a runbook only']);
  });
});
