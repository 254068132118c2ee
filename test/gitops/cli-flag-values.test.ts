import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as dev } from "../../cli/commands/dev.js";
import { run as importRules } from "../../cli/commands/import.js";
import { run as init } from "../../cli/commands/init.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { copyFixture } from "../compiler/support.js";

let base = "";
beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "wk-init-flags-"));
});
afterAll(() => rm(base, { recursive: true, force: true }));

/** The refusal init threw, for its message, hint and exit code. */
async function refusal(args: Record<string, unknown>, command = init): Promise<UserError> {
  const error = await command(args).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe("wk init refuses flag values that would scaffold a project that cannot install or build", () => {
  it("--from with a path that does not exist is refused before anything is written", async () => {
    const dir = path.join(base, "missing-from");
    for (const from of ["/no/such/watchkeeper-0.1.0.tgz", "./watchkeeper-0.1.0.tgz", "../watchkeeper", "file:../nowhere"]) {
      const refused = await refusal({ dir, from });
      expect(refused.exitCode).toBe(EXIT.usage);
      expect(refused.message).toBe(`--from ${from}: no such file or folder`);
      expect(refused.hint).toMatch(/a path to a watchkeeper tarball \(npm pack\) or checkout, or a version such as 0\.1\.0/);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it("--image that is not an image name, or that carries a tag, is refused before anything is written", async () => {
    const dir = path.join(base, "bad-image");
    for (const image of ["bad image name", "registry.example.com/watchkeeper\nRUN curl example.com", "Registry/Name", "ghcr.io/acme/watchkeeper:1.0"]) {
      const refused = await refusal({ dir, image });
      expect(refused.exitCode).toBe(EXIT.usage);
      expect(refused.message).toMatch(/^--image /);
      expect(existsSync(dir)).toBe(false);
    }
    expect((await refusal({ dir, image: "ghcr.io/acme/watchkeeper:1.0" })).hint).toMatch(/without a tag: wk init adds the version/);
  });

  it("a registry with a port and nested names is an image name", async () => {
    const dir = path.join(base, "good-image");
    expect(await init({ dir, image: "registry.example.com:5000/platform/watchkeeper-mirror" })).toBe(EXIT.ok);
    expect(await readFile(path.join(dir, "Dockerfile"), "utf8")).toMatch(/^ARG WATCHKEEPER_IMAGE=registry\.example\.com:5000\/platform\/watchkeeper-mirror:\d+\.\d+\.\d+/m);
  });
});

describe("wk init inside a project's modules folder", () => {
  it("is refused before anything is written, naming the project that would compile the new one's modules as its own", async () => {
    const outer = path.join(base, "outer");
    expect(await init({ dir: outer })).toBe(EXIT.ok);
    for (const [dir, force] of [[path.join(outer, "monitors", "team-b"), false], [path.join(outer, "policies"), true]] as const) {
      const before = await readdir(path.join(outer, path.relative(outer, dir).split(path.sep)[0]!));
      const refused = await refusal({ dir, force });
      expect(refused.exitCode).toBe(EXIT.usage);
      expect(refused.message).toBe(`${dir} is inside the project ${outer}, under its ${path.relative(outer, dir).split(path.sep)[0]}/ folder: that project would compile the new one's config and modules as its own`);
      expect(refused.hint).toBe(`make the new project outside it (such as ${path.join(base, path.basename(dir))}), or add the monitors to ${outer}`);
      expect(await readdir(path.join(outer, path.relative(outer, dir).split(path.sep)[0]!))).toEqual(before);
    }
    // Beside the modules folders, a nested project is the author's choice (a monorepo's team folder).
    expect(await init({ dir: path.join(outer, "teams", "payments") })).toBe(EXIT.ok);
  });
});

describe("wk dev --port", () => {
  it("a port it cannot use is refused with what was given and a hint", async () => {
    for (const [port, shown] of [[Number.NaN, "not a number"], [-1, "-1"], [65534, "65534"], [1.5, "1.5"]] as const) {
      const refused = await refusal({ port }, dev);
      expect(refused.exitCode).toBe(EXIT.usage);
      expect(refused.message).toBe(`--port must be 0 (any free port) or a port number below 65534, got ${shown}`);
      expect(refused.hint).toBe("the servers listen on this port and the next two (PagerDuty, OpsGenie, Slack); 0 picks free ones");
    }
  });
});

describe("wk import prometheus --server and --out", () => {
  const fixture = copyFixture("ok");
  const rules = () => path.join(base, "rules.yml");
  beforeAll(async () => {
    await writeFile(rules(), "groups:\n  - name: api\n    interval: 1m\n    rules:\n      - alert: ApiDown\n        expr: up == 0\n");
  });
  afterAll(async () => (await fixture).cleanup());

  it("a --server with a user and password is refused: the generated modules are committed", async () => {
    const project = (await fixture).dir;
    const refused = await refusal({ project, rules: rules(), service: "payments-api", server: "https://grafana:s3cret@prometheus.example.com", out: "monitors/imported" }, importRules);
    expect(refused.exitCode).toBe(EXIT.usage);
    expect(refused.message).toBe('--server "https://grafana:***@prometheus.example.com/" carries a user and password');
    expect(refused.message).not.toContain("s3cret");
    expect(refused.hint).toMatch(/headers: \{ Authorization: secret\("PROMETHEUS_AUTHORIZATION"\) \}/);
    expect(existsSync(path.join(project, "monitors/imported"))).toBe(false);
  });

  it("a --server with a credential in its query or fragment is refused the same way, naming it masked", async () => {
    const project = (await fixture).dir;
    for (const server of ["https://prometheus.example.com/?api_key=s3cretkey-77", "https://prometheus.example.com/api?x=1&access_token=s3cretkey-77", "https://prometheus.example.com/#token=s3cretkey-77"]) {
      const refused = await refusal({ project, rules: rules(), service: "payments-api", server, out: "monitors/imported" }, importRules);
      expect(refused.exitCode, server).toBe(EXIT.usage);
      expect(refused.message).toMatch(/^--server ".*=\*\*\*.*" carries a credential in its (query|fragment)$/);
      expect(`${refused.message}${refused.hint}`).not.toContain("s3cretkey");
      expect(refused.hint).toMatch(/headers: \{ Authorization: secret\("PROMETHEUS_AUTHORIZATION"\) \}/);
      expect(existsSync(path.join(project, "monitors/imported"))).toBe(false);
    }
  });

  it("an --out outside the project is refused: the compiler would never see the modules", async () => {
    const project = (await fixture).dir;
    const before = await readdir(path.dirname(project));
    const refused = await refusal({ project, rules: rules(), service: "payments-api", out: "../elsewhere" }, importRules);
    expect(refused.exitCode).toBe(EXIT.usage);
    expect(refused.message).toBe("--out ../elsewhere is outside the project");
    expect(refused.hint).toMatch(/monitors\/imported/);
    expect(await readdir(path.dirname(project))).toEqual(before);
  });
});
