import { realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ts } from "ts-morph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as init } from "../../cli/commands/init.js";
import { CHECKER_TSCONFIG_OPTIONS } from "../../cli/compiler/checker-options.js";
import { locateSdk } from "../../cli/compiler/paths.js";
import { compilerOptions } from "../../cli/compiler/typecheck.js";
import { detectWatchkeeperSpec, explicitWatchkeeperSpec } from "../../cli/init/watchkeeper-spec.js";

let base: string;
beforeAll(async () => {
  // Real path: detection resolves symlinks (a temp folder may be one, as on macOS).
  base = realpathSync(await mkdtemp(path.join(tmpdir(), "wk-scaffold-spec-")));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A fake installed Watchkeeper at `dir`, optionally stamped by `npm pack` or `npm publish`. */
async function fakePackage(dir: string, packedFor?: "pack" | "publish"): Promise<string> {
  await mkdir(path.join(dir, "build"), { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "watchkeeper", version: "0.1.0" }));
  if (packedFor) await writeFile(path.join(dir, "build", "install-origin.json"), JSON.stringify({ packedFor }));
  return dir;
}

async function hiddenLockfile(project: string, resolved: string): Promise<void> {
  const lock = { lockfileVersion: 3, packages: { "node_modules/watchkeeper": { version: "0.1.0", resolved } } };
  await writeFile(path.join(project, "node_modules", ".package-lock.json"), JSON.stringify(lock));
}

describe("wk init depends on exactly the Watchkeeper it ran from", () => {
  it("names the checkout folder when run from a checkout", async () => {
    const checkout = await fakePackage(path.join(base, "checkout"));
    expect(detectWatchkeeperSpec(checkout).spec).toBe(`file:${checkout}`);
  });

  it("names the tarball npm installed it from, as an absolute path", async () => {
    const project = path.join(base, "tool");
    const pkg = await fakePackage(path.join(project, "node_modules", "watchkeeper"));
    await hiddenLockfile(project, "file:../pack/watchkeeper-0.1.0.tgz");
    const found = detectWatchkeeperSpec(pkg);
    expect(found.spec).toBe(`file:${path.join(base, "pack", "watchkeeper-0.1.0.tgz")}`);
    expect(found.origin).toMatch(/tarball/);
  });

  it("names the exact version when npm installed it from a registry", async () => {
    const project = path.join(base, "registry-tool");
    const pkg = await fakePackage(path.join(project, "node_modules", "watchkeeper"));
    await hiddenLockfile(project, "https://registry.npmjs.org/watchkeeper/-/watchkeeper-0.1.0.tgz");
    expect(detectWatchkeeperSpec(pkg)).toEqual({ spec: "0.1.0", origin: "from the npm registry" });
  });

  it("in a global install (no lockfile), trusts the stamp npm pack or npm publish left", async () => {
    const packed = await fakePackage(path.join(base, "global-a", "lib", "node_modules", "watchkeeper"), "pack");
    expect(detectWatchkeeperSpec(packed).spec).toBe(`file:${packed}`);
    const published = await fakePackage(path.join(base, "global-b", "lib", "node_modules", "watchkeeper"), "publish");
    expect(detectWatchkeeperSpec(published).spec).toBe("0.1.0");
    const unknown = await fakePackage(path.join(base, "global-c", "lib", "node_modules", "watchkeeper"));
    expect(detectWatchkeeperSpec(unknown).spec).toBe("0.1.0");
  });

  it("--from writes a path inside the project relative (the repository carries it), others absolute or as given", async () => {
    const project = path.join(base, "from-project");
    await mkdir(path.join(project, "vendor"), { recursive: true });
    await writeFile(path.join(project, "vendor", "watchkeeper-0.1.0.tgz"), "");
    expect(explicitWatchkeeperSpec("vendor/watchkeeper-0.1.0.tgz", project, project).spec).toBe("file:vendor/watchkeeper-0.1.0.tgz");
    const outside = path.join(base, "watchkeeper-0.1.0.tgz");
    await writeFile(outside, "");
    expect(explicitWatchkeeperSpec(outside, project, base).spec).toBe(`file:${outside}`);
    expect(explicitWatchkeeperSpec("^0.1.0", project, base).spec).toBe("^0.1.0");
  });
});

describe("the scaffold's tsconfig.json is the checker's options", () => {
  let project: string;
  beforeAll(async () => {
    project = path.join(base, "tsconfig-project");
    const out = process.stdout.write;
    process.stdout.write = () => true;
    try {
      expect(await init({ dir: project, from: "0.1.0" })).toBe(0);
    } finally {
      process.stdout.write = out;
    }
  });

  it("holds exactly the options wk validate checks with", async () => {
    const tsconfig = JSON.parse(await readFile(path.join(project, "tsconfig.json"), "utf8")) as { compilerOptions: unknown };
    expect(tsconfig.compilerOptions).toEqual(CHECKER_TSCONFIG_OPTIONS);
  });

  it("means the same to the compiler: only the SDK mapping and the @types folder are added", async () => {
    const tsconfig = JSON.parse(await readFile(path.join(project, "tsconfig.json"), "utf8")) as { compilerOptions: object };
    const fromFile = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, project);
    expect(fromFile.errors).toEqual([]);
    // The scaffold is an ES module package and brings @types/node, as this checkout does.
    const { paths, typeRoots, ...checked } = compilerOptions(project, locateSdk());
    expect(checked).toEqual(fromFile.options);
    expect(Object.keys(paths ?? {})).toEqual(["watchkeeper"]);
    expect(typeRoots).toHaveLength(1);
  });

  it("depends on typescript 7 for the editor and on @types/node, and names the project after its folder", async () => {
    const manifest = JSON.parse(await readFile(path.join(project, "package.json"), "utf8")) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.name).toBe("tsconfig-project");
    expect(manifest.dependencies.watchkeeper).toBe("0.1.0");
    expect(manifest.devDependencies.typescript).toMatch(/^\^7\./);
    expect(manifest.devDependencies["@types/node"]).toBeDefined();
  });
});
