import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { copyFixture, FIXTURES } from "../compiler/support.js";
import { ensureBuild, messageLines, wk } from "./cli-process.js";

// A copy of the fixture: plan and deploy make `.watchkeeper` in the project they are given.
const fixture = await copyFixture("ok");
const ok = fixture.dir;
afterAll(() => fixture.cleanup());

describe("wk test without monitor ids", () => {
  beforeAll(() => ensureBuild());

  it("lists the project's monitor ids with name and kind, and exits 2 with a hint", async () => {
    const ran = await wk(["test", "--project", ok]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    const listed = ran.stdout.trim().split("\n");
    expect(listed).toHaveLength(3);
    expect(listed.map((l) => l.split(/\s+/)[0])).toEqual(["payments-error-rate", "payments-health", "payments-nightly-script"]);
    expect(ran.stdout).toMatch(/^payments-health\s+\S.* \(http\)$/m);
    expect(ran.stdout).toMatch(/^payments-error-rate\s+\S.* \(prometheus\)$/m);
    const lines = messageLines(ran.stderr);
    expect(lines).toEqual([expect.stringMatching(/^error: name the monitor ids to test/), expect.stringMatching(/^hint: for example: wk test payments-error-rate$/)]);
  });

  it("lists them as JSON with --json", async () => {
    const ran = await wk(["test", "--project", ok, "--json"]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    const listed = JSON.parse(ran.stdout) as { monitors: Array<{ id: string; name: string; kind: string }> };
    expect(listed.monitors.find((m) => m.id === "payments-health")).toMatchObject({ kind: "http" });
  });

  it("checks a monitor named twice once", async () => {
    const ran = await wk(["test", "payments-nightly-script", "payments-nightly-script", "--project", ok, "--json"]);
    const out = JSON.parse(ran.stdout) as { monitors: Array<{ id: string }> };
    expect(out.monitors.map((m) => m.id)).toEqual(["payments-nightly-script"]);
  });

  it("still suggests the nearest ids for an unknown one", async () => {
    const ran = await wk(["test", "payments-helth", "--project", ok]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(ran.stderr).toMatch(/^error: unknown monitor id: payments-helth$/m);
    expect(ran.stderr).toMatch(/did you mean payments-health/);
  });

  it("lists the project's monitors when no id is close to an unknown one", async () => {
    const ran = await wk(["test", "zzz", "--project", ok]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(messageLines(ran.stderr)).toEqual(["error: unknown monitor id: zzz", "hint: the project's monitors: payments-error-rate, payments-health, payments-nightly-script"]);
  });
});

describe("no error line is printed twice", () => {
  beforeAll(() => ensureBuild());

  // Refusals from yargs, from a command, from the compiler and from the exit point, one of each kind.
  const failing: Array<[string[], number]> = [
    [[], EXIT.usage],
    [["plna"], EXIT.usage],
    [["plan", "--nosuch"], EXIT.usage],
    [["plan", "--format", "xml"], EXIT.usage],
    [["plan", "--base", "main", "--base-manifest", "m.json"], EXIT.usage],
    [["run", "--project", ".", "--artifact", "dist"], EXIT.usage],
    [["run", "--port", "70000"], EXIT.usage],
    [["completion", "--shell", "fish"], EXIT.usage],
    [["plan", "--project", join(FIXTURES, "type-error")], EXIT.findings],
    [["test", "x", "--project", join(FIXTURES, "type-error")], EXIT.findings],
    [["plan", "--project", ok, "--base-manifest", join(FIXTURES, "no-such-manifest.json")], EXIT.findings],
    [["deploy", "--project", ok, "--plan", join(FIXTURES, "no-such-plan.json")], EXIT.findings],
  ];

  it.each(failing)("wk %j: each stderr line once, exactly one error line", async (args, code) => {
    const ran = await wk(args, { env: { WK_PULUMI_BIN: process.execPath } });
    expect(ran.code, ran.stderr).toBe(code);
    const lines = messageLines(ran.stderr);
    expect(lines.filter((l) => l.startsWith("error:")), ran.stderr).toHaveLength(1);
    expect(new Set(lines).size, ran.stderr).toBe(lines.length);
    expect(ran.stderr).not.toMatch(/internal error/);
  });

  it("a mistyped command names what was typed and suggests the command", async () => {
    const ran = await wk(["plna"]);
    expect(messageLines(ran.stderr)).toEqual(["error: unknown command: plna", "hint: did you mean `wk plan`? `wk --help` lists the commands"]);
  });
});
