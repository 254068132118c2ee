import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { copyFixture, FIXTURES } from "../compiler/support.js";
import { ensureBuild, messageLines, ROOT, wk, type Finished } from "./cli-process.js";

const fixture = await copyFixture("ok");
const ok = fixture.dir;
let scratch = "";

beforeAll(async () => {
  ensureBuild();
  scratch = await mkdtemp(join(tmpdir(), "wk-careless-"));
});
afterAll(async () => {
  await fixture.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

/** Starts `wk` in a process group of its own, as a shell runs a foreground job. */
function start(args: string[], env: Record<string, string> = {}, stdout: "pipe" | "ignore" = "pipe") {
  const child = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), ...args], {
    cwd: ok,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", stdout, "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stderr })),
  );
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 60_000);
  void ended.then(() => clearTimeout(timer));
  return { child, ended };
}

/** Every path under `dir`, two levels deep. */
async function entries(dir: string): Promise<string[]> {
  const top = await readdir(dir);
  const nested = await Promise.all(top.map((name) => readdir(join(dir, name)).then((inner) => inner.map((i) => `${name}/${i}`), () => [])));
  return [...top, ...nested.flat()];
}

describe("output to a reader that stopped reading (wk plan | head -1)", () => {
  it.each([
    [["validate", "--project", ok], EXIT.ok],
    [["validate", "--project", join(FIXTURES, "type-error")], EXIT.findings],
  ] as const)("wk %j drops the rest of its output and exits with its own code, not a bug report", async (args, code) => {
    const { child, ended } = start([...args]);
    child.stdout!.destroy();
    const ran = await ended;
    expect(ran.stderr).not.toMatch(/internal error|EPIPE|^\s+at /m);
    expect(ran.code, ran.stderr).toBe(code);
  });
});

describe("Ctrl-C during a compile", () => {
  it("leaves no temporary folders and no output folder behind", async () => {
    const temp = join(scratch, "tmp");
    await mkdir(temp);
    const out = join(scratch, "out");
    const { child, ended } = start(["compile", "--project", ok, "--out", out], { TMPDIR: temp, WK_CACHE: "off" }, "ignore");
    // Interrupt once the compiler has made its work folder: the moment a temporary folder exists.
    const deadline = Date.now() + 30_000;
    while (!(await entries(temp)).some((e) => /wk-compile-/.test(e)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    process.kill(-child.pid!, "SIGINT");
    const ran = await ended;
    expect(ran.signal ?? ran.code, ran.stderr).toBe("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    expect(await entries(temp)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe("wk import prometheus with something that is not a rules file", () => {
  /** One `error:` line naming the file, one `hint:` line, exit 1, no stack trace. */
  function expectRefusal(ran: Finished, mentions: RegExp): void {
    const lines = messageLines(ran.stderr);
    expect(ran.code, ran.stderr).toBe(EXIT.findings);
    expect(lines, ran.stderr).toEqual([expect.stringMatching(mentions), expect.stringMatching(/^hint: /)]);
    expect(ran.stderr).not.toMatch(/internal error|RangeError|^\s+at /m);
  }

  it("a folder is refused as a folder, with a hint", async () => {
    expectRefusal(await wk(["import", "prometheus", "policies", "--service", "payments-api", "--project", ok], { cwd: ok }), /^error: cannot read the rules file policies: it is a folder/);
  });

  it("a missing file is refused with a hint", async () => {
    expectRefusal(await wk(["import", "prometheus", "rules.yml", "--service", "payments-api", "--project", ok], { cwd: ok }), /^error: cannot read the rules file rules\.yml: no such file$/);
  });

  it("an endless input (/dev/zero) is refused at a size limit instead of filling the memory", async () => {
    expectRefusal(await wk(["import", "prometheus", "/dev/zero", "--service", "payments-api", "--project", ok], { cwd: ok }), /^error: the rules file \/dev\/zero is larger than 16 MiB$/);
  });
});

describe("wk compile --out naming a folder or file that holds something else", () => {
  // The artifact folder is swapped in whole: `--out .` used to replace the project itself.
  it("refuses a folder with other files, and leaves it as it was", async () => {
    const folder = join(scratch, "not-an-artifact");
    await mkdir(folder);
    await writeFile(join(folder, "README.md"), "keep me\n");
    const ran = await wk(["compile", "--project", ok, "--out", folder]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(messageLines(ran.stderr)).toEqual([
      `error: --out ${folder} holds README.md, which is not part of a compiled artifact; compiling would replace the whole folder`,
      "hint: give an empty or new folder, or one that wk compile wrote (the default is PROJECT/dist/watchkeeper)",
    ]);
    expect(await readdir(folder)).toEqual(["README.md"]);
  });

  it("refuses the project folder itself", async () => {
    const ran = await wk(["compile", "--out", "."], { cwd: ok });
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(ran.stderr).toMatch(/^error: --out \. holds \S+, \S+, \S+ and \d+ more, which are not part of a compiled artifact/m);
    expect(existsSync(join(ok, "watchkeeper.config.ts"))).toBe(true);
  });

  it("refuses a file, and leaves it as it was", async () => {
    const file = join(scratch, "notes.txt");
    await writeFile(file, "keep me\n");
    const ran = await wk(["compile", "--project", ok, "--out", file]);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(ran.stderr).toMatch(/^error: --out .*notes\.txt is a file; compiling would replace it with the artifact folder$/m);
    expect(await readFile(file, "utf8")).toBe("keep me\n");
  });

  it("replaces an artifact folder an earlier compile wrote", async () => {
    const out = join(scratch, "artifact");
    expect((await wk(["compile", "--project", ok, "--out", out])).code).toBe(EXIT.ok);
    const again = await wk(["compile", "--project", ok, "--out", out]);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect((await readdir(out)).sort()).toEqual(["manifest.json", "monitors.mjs"]);
  });
});

describe("a modules folder the user cannot read", () => {
  // As root every folder reads; the command then runs as `nobody` (the project copied where it may).
  const asRoot = process.getuid?.() === 0;
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser"].find((p) => existsSync(p));

  it.skipIf(asRoot && !runuser)("is an error naming it, never a project of no monitors (a plan from it would delete them all)", async () => {
    const { execFileSync } = await import("node:child_process");
    const { chmod, cp } = await import("node:fs/promises");
    const project = join(scratch, "unreadable");
    await cp(join(FIXTURES, "ok"), project, { recursive: true });
    execFileSync("chmod", ["-R", "a+rwX", scratch]);
    await chmod(join(project, "monitors"), 0o000);
    try {
      const command = [process.execPath, join(ROOT, "bin/watchkeeper.js"), "validate", "--project", project];
      const ran = (() => {
        try {
          const stdout = execFileSync(asRoot ? runuser! : command[0]!, asRoot ? ["-u", "nobody", "--", ...command] : command.slice(1), { encoding: "utf8", env: { ...process.env, WK_CACHE: "off", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
          return { code: 0, stdout, stderr: "" };
        } catch (error) {
          const e = error as { status: number; stdout: string; stderr: string };
          return { code: e.status, stdout: e.stdout, stderr: e.stderr };
        }
      })();
      expect(ran.code, ran.stdout + ran.stderr).toBe(EXIT.findings);
      expect(ran.stderr).toContain("monitors (EACCES) cannot be read");
      expect(ran.stdout).not.toContain("no problems found");
    } finally {
      await chmod(join(project, "monitors"), 0o755);
    }
  });
});

describe("a flag given an empty value (an unset shell variable, a value forgotten)", () => {
  it.each([
    [["compile", "--plan", ""], "--plan"],
    [["compile", "--out"], "--out"],
    [["oncall", "--ics", ""], "--ics"],
    [["oncall", "--window="], "--window"],
    [["run", "--state", ""], "--state"],
    [["validate", "--project", ""], "--project"],
    [["init", ""], "the <dir> argument"],
  ] as const)("wk %j is refused (exit 2) before anything is written, never read as the default", async (args, named) => {
    const cwd = join(scratch, `empty-${args.join("-").replace(/[^a-z-]/g, "")}`);
    await mkdir(cwd, { recursive: true });
    const copied = join(cwd, "project");
    const { cp } = await import("node:fs/promises");
    await cp(ok, copied, { recursive: true });
    const before = await entries(copied);
    const ran = await wk([...args, ...(args[0] === "init" ? [] : args[0] === "validate" ? [] : ["--project", "."])], { cwd: copied, env: { WK_CACHE: "off" } });
    expect(ran.code, ran.stdout + ran.stderr).toBe(EXIT.usage);
    const lines = messageLines(ran.stderr);
    expect(lines[0]).toBe(`error: ${named} needs a value, got an empty one`);
    expect(lines[1]).toMatch(/^hint: .*leave .* out/);
    expect(ran.stderr).not.toMatch(/^\s+at /m);
    expect(await entries(copied)).toEqual(before);
  });
});

describe("a mistyped option", () => {
  it.each([
    [["plan", "--base-manfest", "x.json"], "error: Unknown argument: base-manfest", "hint: did you mean --base-manifest? `wk plan --help` lists its options"],
    [["compile", "--ouT", "out"], "error: Unknown argument: ouT", "hint: did you mean --out? `wk compile --help` lists its options"],
    [["oncall", "--scedule", "x", "--teem", "y"], "error: Unknown arguments: scedule, teem", "hint: did you mean --schedule, --team? `wk oncall --help` lists its options"],
    [["validate", "--bogus"], "error: Unknown argument: bogus", "hint: `wk validate --help` lists its options"],
    [["validate", "-x"], "error: Unknown argument: x", "hint: `wk validate --help` lists its options"],
    [["simulate", "--at", "now", "--monitor", "x", "--spread", "-5s"], 'error: "-5s" after --spread is read as options (-5, -s), not as its value', "hint: write --spread=-5s to give a value that starts with a dash"],
  ] as const)("wk %j names it once, as typed, with the option meant", async (args, error, hint) => {
    const ran = await wk([...args], { cwd: ok });
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(messageLines(ran.stderr)).toEqual([error, hint]);
  });
});
