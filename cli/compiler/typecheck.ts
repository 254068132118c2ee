import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ts as TS } from "ts-morph";
import { channel } from "../../sdk/constructs/channels.js";
import { check } from "../../sdk/constructs/checks.js";
import { diagnostic as diagnosticStep } from "../../sdk/constructs/diagnostics.js";
import { CHECKER_TSCONFIG_OPTIONS } from "./checker-options.js";
import { diagnostic } from "./diagnostic.js";
import { durationHint } from "./duration-hint.js";
import { nearIds } from "../near-ids.js";
import { specifierOfTs2307, unresolvedImportHint } from "./import-hint.js";
import { outsideCheckedDiagnostic, outsideCheckedFiles } from "./outside-inputs.js";
import { relativePath, type SdkLocation } from "./paths.js";
import { locateNativeTsc, runNativeTsc, type NativeTsc, type TscDiagnostic } from "./tsc-native.js";
import type { Diagnostic } from "./types.js";

/** The compiler options the checker hands TypeScript 7, spelled as in tsconfig.json. */
export type TsconfigOptions = Record<string, unknown>;

/**
 * Type-checks `files` (and what they import) as `tsc --noEmit` would under strict settings, with
 * `watchkeeper` mapped to the compiler's own SDK: TypeScript 7's native tsc over a tsconfig.json
 * written to a temporary folder. Library declarations are not re-checked (`skipLibCheck`).
 */
export async function typecheck(projectDir: string, files: string[], sdk: SdkLocation, tsc: NativeTsc = locateNativeTsc(), signal?: AbortSignal): Promise<Diagnostic[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "wk-typecheck-"));
  try {
    const tsconfig = path.join(dir, "tsconfig.json");
    await writeFile(tsconfig, JSON.stringify({ compilerOptions: checkerTsconfig(projectDir, sdk), files }));
    const found = await runNativeTsc(tsc, tsconfig, projectDir, signal);
    // Any message may quote what tsc read from a file elsewhere (a literal type, a JSON's keys):
    // when its program read one, the refusal is the report.
    const outside = outsideCheckedFiles([...found.files, ...found.diagnostics.flatMap((d) => (d.file ? [d.file] : []))], projectDir, sdk);
    if (outside.length > 0) return outside.map((file) => outsideCheckedDiagnostic(projectDir, file));
    return found.diagnostics.map((d) => toDiagnostic(projectDir, d));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The options `wk validate` checks with: `CHECKER_TSCONFIG_OPTIONS` (also the scaffold's
 * tsconfig.json) plus what depends on this machine. bench/compile gives `tsc` the same ones.
 */
export function checkerTsconfig(projectDir: string, sdk: SdkLocation): TsconfigOptions {
  const esm = isEsmPackage(projectDir);
  const nodeTypes = nodeTypesRoot(projectDir, sdk);
  return {
    ...CHECKER_TSCONFIG_OPTIONS,
    // NodeNext decides ESM vs CommonJS from package.json; a folder without `"type": "module"`
    // would make every import of the ESM SDK an error, so such projects are checked as bundled
    // ESM, which is how the compiler loads them anyway.
    ...(esm ? {} : { module: "ESNext", moduleResolution: "Bundler" }),
    // Without Node's types anywhere, `console` and `fetch` come from the DOM library instead.
    ...(nodeTypes ? { typeRoots: [nodeTypes] } : { lib: [...CHECKER_TSCONFIG_OPTIONS.lib, "DOM"], types: [], typeRoots: [] }),
    // Absolute: TypeScript 7 resolves `paths` from the tsconfig's folder (it has no baseUrl).
    paths: { watchkeeper: [sdk.typesEntry] },
  };
}

/**
 * `checkerTsconfig` as TypeScript's parsed options (TypeScript 6 through ts-morph, which reads
 * tsconfig.json the same way): lets tests compare it with a scaffold's tsconfig.json.
 */
export function compilerOptions(projectDir: string, sdk: SdkLocation): TS.CompilerOptions {
  const requireHere = createRequire(import.meta.url);
  const { ts } = createRequire(requireHere.resolve("ts-morph"))("@ts-morph/common") as { ts: typeof TS };
  const converted = ts.convertCompilerOptionsFromJson(checkerTsconfig(projectDir, sdk), projectDir);
  if (converted.errors.length > 0) {
    throw new Error(`the checker's own compiler options are invalid: ${converted.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, " ")).join("; ")}`);
  }
  return converted.options;
}

function isEsmPackage(projectDir: string): boolean {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type === "module";
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** The `@types` folder holding Node's types: the project's own, else the CLI's. */
function nodeTypesRoot(projectDir: string, sdk: SdkLocation): string | null {
  for (const base of [projectDir, sdk.packageRoot]) {
    try {
      const found = createRequire(path.join(base, "package.json")).resolve("@types/node/package.json");
      return path.dirname(path.dirname(found));
    } catch {
      continue;
    }
  }
  return null;
}

const HINTS: Record<number, string> = {
  2304: "import it (`import { name } from \"watchkeeper\"` or from the module that exports it) or define it",
  2305: "export it from that module (`export const ...`) or fix the name",
  2322: "give the property a value of the expected type; your editor shows the accepted values",
  2353: "remove the property or check its spelling against the factory's props",
  2339: "check the property name; your editor lists the available ones",
  2741: "add the missing property",
  2552: "check the spelling",
  2820: "use the spelling the message suggests (values are case-sensitive)",
};

/** An async function's result passed where its value belongs: the fix is `await`, not another type. */
const AWAIT_HINT = "this value is a Promise (an async function's result): `await` it, e.g. `url: await lookupUrl()` (modules may use top-level await)";

function forgotAwait(message: string): boolean {
  return /^(?:Type|Argument of type) 'Promise<[^]*' is not assignable to|^Type 'Promise<[^]*' is missing the following properties/.test(message);
}

/** A string literal where the Duration type was expected: the spelling meant, when there is one. */
function notADuration(message: string): string | null {
  const match = /^Type '"([^"]*)"' is not assignable to type '`\$\{number\}d` \| `\$\{number\}h` \| `\$\{number\}m` \| `\$\{number\}ms`/.exec(message);
  return match ? durationHint(match[1]!) : null;
}

/** The SDK's named unions of string literals, which TypeScript prints by name and not by value. */
const NAMED_UNIONS: Record<string, string[]> = {
  Severity: ["critical", "error", "warning", "info"],
  RuleLevel: ["error", "warning", "notice", "off"],
};

/**
 * A string where one of a few literals was expected ("high" for a severity, "ignore" for
 * onError): the values it takes, and the nearest one when there is one.
 */
function notOneOf(message: string): string | null {
  const match = /^Type '"([^"]*)"' is not assignable to type '([^']*)'\.?$/.exec(message);
  if (!match) return null;
  const parts = match[2]!.split(" | ").filter((p) => p !== "undefined");
  const values = parts.flatMap((p) => NAMED_UNIONS[p] ?? (/^"[^"]*"$/.test(p) ? [p.slice(1, -1)] : ["\0"]));
  if (values.length === 0 || values.includes("\0")) return null;
  // "=>" and "=<" are ">=" and "<=" written backwards; by edit distance ">" would be as near.
  const backwards = [...match[1]!].reverse().join("");
  const near = values.includes(backwards) ? [backwards] : nearIds(match[1]!.toLowerCase(), values);
  const list = values.map((v) => `"${v}"`).join(", ");
  return near.length > 0 ? `did you mean "${near[0]}"? It takes ${list}` : `use one of ${list}`;
}

/**
 * TypeScript's own suggestion for a misspelled property (TS2551 "Did you mean 'status'?", TS2561
 * "Did you mean to write 'service'?"): the hint names it rather than pointing at the type error.
 */
function suggestedProperty(message: string): string | null {
  const match = /Did you mean (?:to write )?'([^']+)'\?$/.exec(message);
  return match ? `did you mean \`${match[1]}\`? Property names are spelled as the factory's props spell them` : null;
}

/** The SDK's factory namespaces, whose members TypeScript prints cut short ("... 6 more ..."). */
const SDK_NAMESPACES: readonly string[][] = [Object.keys(check), Object.keys(channel), Object.keys(diagnosticStep)];

/**
 * A property that does not exist, and that TypeScript finds no suggestion for (`check.htpp`: a
 * swap of two letters is too far for it): the nearest name, and for an SDK namespace all of them.
 */
function nearestProperty(message: string): string | null {
  const match = /^Property '([^']+)' does not exist on type '\{ ([^]*)\}'\.?$/.exec(message);
  if (!match) return null;
  const visible = [...match[2]!.matchAll(/(?:^|; )(\w+)\??:/g)].map((m) => m[1]!);
  const namespace = SDK_NAMESPACES.find((names) => visible.length > 0 && visible.every((v) => names.includes(v)));
  const near = nearIds(match[1]!, namespace ?? visible);
  if (near.length === 0) return null;
  return namespace ? `did you mean \`${near[0]}\`? The available ones are ${namespace.join(", ")}` : `did you mean \`${near[0]}\`?`;
}

/** The SDK's constructs, as an author names the variable that holds one. */
const CONSTRUCT_EXAMPLES: Record<string, string> = {
  Service: "service: checkoutPayments",
  Channel: "channels: [opsSlack]",
  Team: "owner: paymentsTeam",
  Schedule: "targets: [checkoutWeekly]",
  User: "users: [alice, bob]",
  EscalationPolicy: "escalationPolicy: checkoutEscalation",
  Monitor: "monitors: [apiLatency]",
};

/** An id written where a construct is expected: references are the objects themselves. */
function stringReference(message: string): string | null {
  const match = /^Type '(?:string|"[^"]*")' is not assignable to type '(\w+)(?: \| undefined)?'/.exec(message);
  const example = match ? CONSTRUCT_EXAMPLES[match[1]!] : undefined;
  if (!example) return null;
  const noun = match![1]!.replace(/(?!^)[A-Z]/g, (l) => ` ${l}`).toLowerCase();
  return `references are the definitions themselves, not their ids: import the ${noun} from the module that exports it and pass it (${example})`;
}

function toDiagnostic(projectDir: string, d: TscDiagnostic): Diagnostic {
  const syntax = d.code >= 1000 && d.code < 2000;
  const hint =
    (forgotAwait(d.message) ? AWAIT_HINT : null) ??
    notADuration(d.message) ??
    notOneOf(d.message) ??
    stringReference(d.message) ??
    (d.code === 2551 || d.code === 2561 ? suggestedProperty(d.message) : null) ??
    (d.code === 2339 ? nearestProperty(d.message) : null) ??
    (d.code === 2307 ? unresolvedImportHint(specifierOfTs2307(d.message), d.file) : HINTS[d.code]) ??
    (syntax ? "fix the syntax at this place" : "fix the type error; `wk validate` checks types like `tsc --noEmit` in strict mode");
  const severity = d.category === "warning" ? "warning" : d.category === "error" ? "error" : "notice";
  if (!d.file) return diagnostic(severity, `TS${d.code}`, d.message, hint);
  return diagnostic(severity, `TS${d.code}`, d.message, hint, { file: relativePath(projectDir, d.file), line: d.line, column: d.column });
}
