// The CLI's start-up bundle (`npm run build` runs this after tsc): build/cli/main.js and the
// modules it reaches, with most of the pure-JavaScript packages they use, as a few ES modules in
// build/wk/. Node compiles and links one file where it would otherwise resolve, read and link about
// 200 (zod alone is 95), which was most of a warm `wk validate`'s start.
//
// Every `import.meta.url` in the project's own code is rewritten to the URL of the file it came
// from, relative to the bundle, so paths found from it (the SDK, the sandbox loader, the native
// tsc) are the same as when the file runs on its own, and the package stays relocatable.
// bin/watchkeeper.js uses the bundle only while every file it was made from is unchanged
// (build/wk/inputs.json); after a plain `tsc` it runs build/cli/main.js as before.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUILD = path.join(ROOT, "build");
const OUT = path.join(BUILD, "wk");

// Bundled: pure JavaScript, loaded on every command, that does not find files from its own
// location. Everything else stays an ordinary import: native addons and packages that find their
// own files (esbuild's binary, tsc). yargs is bundled too (resolving its 30 files took about 25 ms
// of every command): the CLI gives it the version (`--version`) instead of letting it look for a
// package.json, and its messages are the English ones it is written in (in the bundle it finds no
// locale files, and every message the CLI shows is its own anyway).
const BUNDLED = new Set([
  "zod", "tinyglobby", "fdir", "picomatch", "picocolors", "@lezer/lr", "@lezer/common", "@lezer/highlight", "@prometheus-io/lezer-promql", "croner",
  "yargs", "yargs-parser", "cliui", "string-width", "strip-ansi", "ansi-regex", "wrap-ansi", "ansi-styles", "get-east-asian-width", "emoji-regex", "y18n", "escalade", "get-caller-file",
]);

const packageName = (specifier) => {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
};

const ownUrls = {
  name: "own-import-meta-url",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || !BUNDLED.has(packageName(args.path))) return { path: args.path, external: true };
      return undefined;
    });
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(BUILD + path.sep) || args.path.startsWith(OUT + path.sep)) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return { contents: text, loader: "js" };
      const relative = path.relative(OUT, args.path).split(path.sep).join("/");
      // Not inside a quoted string: the load bundle's banner is text that says `import.meta.url`.
      const own = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
      return { contents: text.replace(/(["'])(?:\\.|(?!\1)[^\\\n])*\1|\bimport\.meta\.url\b/g, (match) => (match === "import.meta.url" ? own : match)), loader: "js" };
    });
  },
};

// zod's namespace export keeps `z.locales` (and `z.core.locales`) reachable, so all of its 64
// locales were in the bundle and in every process's heap (about 1 MB, 1.3 MB of the runtime's RSS)
// for messages that are only ever English: zod registers `en` itself, and nothing here calls
// `z.config(z.locales.xx())`. In the bundle, `locales` holds `en` alone.
const englishOnlyZod = {
  name: "english-only-zod",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)) return undefined;
      return { path: path.join(args.resolveDir, "../locales/en.js"), namespace: "zod-locales", pluginData: args.resolveDir };
    });
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: "js",
      resolveDir: path.dirname(args.path),
    }));
  },
};

// string-width makes an Intl.Segmenter when it is imported (about 9 ms: ICU's break data), and
// yargs imports it for help text, which most runs never lay out. In the bundle it makes one on
// first use. If the source no longer reads as expected, it is bundled as it is.
const lazySegmenter = {
  name: "lazy-segmenter",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const made = "const segmenter = new Intl.Segmenter();";
      const used = "segmenter.segment(";
      if (text.split(made).length !== 2 || text.split(used).length !== 2) return { contents: text, loader: "js" };
      return { contents: text.replace(made, "let segmenter;").replace(used, "(segmenter ??= new Intl.Segmenter()).segment("), loader: "js" };
    });
  },
};

// The plan's Pulumi mock runs (cli/plan/mock-run.js) get a bundle of their own, Pulumi and the
// PagerDuty provider included. `@pulumi/pulumi`'s index loads its Automation API (npm's arborist,
// pacote, sigstore: about 600 modules) and its closure serializer loads TypeScript 3.8 and
// arborist at start, none of which a mock run calls: importing the package took about 1 s of a
// plan. In this bundle those three are stand-ins that throw if anything calls them.
const MOCK_RUN = "mock-run.mjs";
const UNUSED_UNDER_MOCKS = "unused-under-mocks";
const withoutUnusedPulumi = {
  name: "without-unused-pulumi",
  setup(build) {
    const inPulumi = (dir) => /[\\/]node_modules[\\/]@pulumi[\\/]pulumi([\\/]|$)/.test(dir);
    build.onResolve({ filter: /^\.\/automation$/ }, (args) => (/[\\/]@pulumi[\\/]pulumi$/.test(args.resolveDir) ? { path: "automation", namespace: UNUSED_UNDER_MOCKS } : undefined));
    build.onResolve({ filter: /typescript-shim$|^typescript$|^@npmcli\/arborist$/ }, (args) => (inPulumi(args.resolveDir) ? { path: args.path.split("/").pop(), namespace: UNUSED_UNDER_MOCKS } : undefined));
    build.onLoad({ filter: /.*/, namespace: UNUSED_UNDER_MOCKS }, (args) => {
      const fail = `throw new Error(${JSON.stringify(`${args.path} is not in the plan's Pulumi bundle (a mock run does not use it)`)});`;
      // A module object that throws on first use, but can be imported: arborist's class, TypeScript's functions.
      const contents =
        args.path === "arborist"
          ? `Object.defineProperty(exports, "__esModule", { value: true }); exports.Arborist = class { constructor() { ${fail} } };`
          : `module.exports = new Proxy({}, { get(_target, key) { if (key === "__esModule" || typeof key === "symbol") return undefined; ${fail} } });`;
      return { contents, loader: "js" };
    });
  },
};

/** What both bundles share: ES modules for Node in build/wk/. */
const common = {
  outdir: OUT,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
  // CommonJS packages inside an ES module bundle need a `require`.
  banner: { js: 'import { createRequire as __wkCreateRequire } from "node:module";\nconst require = __wkCreateRequire(import.meta.url);' },
};

rmSync(OUT, { recursive: true, force: true });
const mockRun = await esbuild.build({
  ...common,
  entryPoints: { [MOCK_RUN.replace(/\.mjs$/, "")]: path.join(BUILD, "cli/plan/mock-run.js") },
  outExtension: { ".js": ".mjs" },
  plugins: [englishOnlyZod, withoutUnusedPulumi],
});

// The start-up bundle imports the mock runs from their bundle.
const mockRunFromItsBundle = {
  name: "mock-run-from-its-bundle",
  setup(build) {
    build.onResolve({ filter: /^\.\/mock-run\.js$/ }, (args) =>
      args.importer === path.join(BUILD, "cli/plan/build-plan.js") ? { path: `./${MOCK_RUN}`, external: true } : undefined,
    );
  },
};

const result = await esbuild.build({
  ...common,
  entryPoints: { main: path.join(BUILD, "cli/main.js") },
  splitting: true,
  chunkNames: "chunk-[hash]",
  plugins: [englishOnlyZod, lazySegmenter, mockRunFromItsBundle, ownUrls],
});

// What the bundle was made from, with sizes, times and content hashes: a later tsc run that changes
// any of them makes bin/watchkeeper.js fall back to the unbundled build. The hash is read only when
// the time differs (npm's tarballs give every file one fixed time).
const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(mockRun.metafile.inputs)])]
  .map((input) => path.resolve(ROOT, input))
  .filter((file) => file.startsWith(BUILD + path.sep))
  .sort()
  .map((file) => {
    const s = statSync(file);
    return [path.relative(ROOT, file).split(path.sep).join("/"), s.size, s.mtimeMs, createHash("sha256").update(readFileSync(file)).digest("hex")];
  });
writeFileSync(path.join(OUT, "inputs.json"), JSON.stringify(inputs) + "\n");
