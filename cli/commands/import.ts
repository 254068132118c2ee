import { existsSync } from "node:fs";
import { lstat, open, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { nearIds } from "../near-ids.js";
import { visible } from "../visible-text.js";
import { EXIT, UserError, type ExitStatus } from "../errors.js";
import { fileRefusal } from "../system-error.js";
import { findMonitors, findServices, importSpecifier } from "../import/find-service.js";
import { generateModule, ownership } from "../import/generate-module.js";
import { parseRulesFile } from "../import/prometheus-rules.js";
import { draftModules } from "../import/rule-to-monitor.js";
import { makeFolders } from "../../sdk/make-folders.js";
import { isSecretParamName } from "../../runtime/redact-url.js";

/** Prometheus listens here unless told otherwise; `--server` names the real one. */
export const DEFAULT_SERVER = "http://localhost:9090";

/**
 * `wk import prometheus RULES.yml --service ID`: one typed monitor module per rule group. Every
 * module is written, or none: a file in the way that the import did not write (or that was edited
 * since) stops the whole import unless `--force`.
 */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const projectDir = path.resolve(String(args["project"] ?? "."));
  const rulesArg = String(args["rules"]);
  const rulesPath = path.resolve(rulesArg);
  const outDir = path.resolve(projectDir, String(args["out"] ?? "monitors/imported"));
  const serviceId = String(args["service"]);
  const serverGiven = typeof args["server"] === "string";
  const server = serverGiven ? String(args["server"]) : DEFAULT_SERVER;
  const force = args["force"] === true;

  if (!existsSync(path.join(projectDir, "watchkeeper.config.ts"))) {
    throw new UserError(`no watchkeeper.config.ts in ${projectDir}`, EXIT.findings, "run the import in a Watchkeeper project, or pass --project DIR");
  }
  if (serverGiven) {
    try {
      const url = new URL(server);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    } catch {
      throw new UserError(`--server ${JSON.stringify(server)} is not an http(s) URL`, EXIT.usage, "give the Prometheus server's base URL, such as http://prometheus.monitoring:9090");
    }
    // The URL is written into modules that are committed; a password there is a secret in Git.
    const url = new URL(server);
    if (url.username !== "" || url.password !== "") {
      if (url.password !== "") url.password = "***";
      throw new UserError(
        `--server ${JSON.stringify(url.href)} carries a user and password`,
        EXIT.usage,
        'give the URL without them; the modules are committed: add headers: { Authorization: secret("PROMETHEUS_AUTHORIZATION") } to the checks instead',
      );
    }
    // So is a token in a parameter (`?api_key=...`, `#access_token=...`), the names the runtime redacts.
    for (const part of ["query", "fragment"] as const) {
      const text = part === "query" ? url.search.slice(1) : url.hash.slice(1);
      const masked = maskedParams(text);
      if (masked === text) continue;
      if (part === "query") url.search = masked;
      else url.hash = masked;
      throw new UserError(
        `--server ${JSON.stringify(url.href)} carries a credential in its ${part}`,
        EXIT.usage,
        'give the URL without it; the modules are committed: add headers: { Authorization: secret("PROMETHEUS_AUTHORIZATION") } to the checks instead',
      );
    }
  }
  const outside = path.relative(projectDir, outDir);
  if (outside === ".." || outside.startsWith(`..${path.sep}`) || path.isAbsolute(outside)) {
    throw new UserError(`--out ${String(args["out"])} is outside the project`, EXIT.usage, "monitor modules are compiled only from inside the project: choose a folder such as monitors/imported");
  }
  const link = await linkOnTheWay(projectDir, outside);
  if (link !== null) {
    throw new UserError(
      `--out ${String(args["out"] ?? "monitors/imported")}: ${link} is a link, and the compiler does not follow links, so the modules written there would never compile`,
      EXIT.usage,
      "import into a real folder of the project (remove the link, or choose another --out)",
    );
  }
  const text = await readRulesFile(rulesPath, rulesArg);
  const shown = rulesArg;
  const parsed = parseRulesFile(text);
  if (!parsed.ok) {
    for (const p of parsed.problems) say(process.stderr, `${shown}:${p.at.line}:${p.at.column}: error: ${p.message}`);
    throw new UserError(
      `${shown} is not a valid Prometheus rules file (${parsed.problems.length} problem${parsed.problems.length === 1 ? "" : "s"}); nothing was written`,
      EXIT.findings,
      "fix the file (`promtool check rules` says the same), then import again",
    );
  }

  const services = await findServices(projectDir);
  const service = services.find((s) => s.id === serviceId);
  if (!service) {
    const near = nearIds(serviceId, services.map((s) => s.id));
    throw new UserError(
      `unknown service "${serviceId}": no exported service({ id: "${serviceId}" }) in ${projectDir}`,
      EXIT.findings,
      near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : services.length > 0 ? `services: ${services.map((s) => s.id).join(", ")}` : "declare the service in policies/ first (service({ id, name, escalationPolicy }))",
    );
  }

  // Named from the project when it is inside it; by its name alone otherwise, so the header does not
  // depend on where the file happened to be on this machine.
  const relative = path.relative(projectDir, rulesPath);
  const rulesFile = relative.startsWith("..") || path.isAbsolute(relative) ? path.basename(rulesPath) : relative.split(path.sep).join("/");
  const drafts = draftModules(parsed.groups, service.exportName);
  const serviceImport = { exportName: service.exportName, specifier: importSpecifier(outDir, service.file) };
  const planned = drafts.map((draft) => ({ draft, file: path.join(outDir, draft.file), text: generateModule({ draft, service: serviceImport, server, rulesFile }) }));

  // An id another module already has would make the project fail `wk validate` (unique-ids).
  const ours = new Set(planned.map((p) => p.file));
  const existing = new Map((await findMonitors(projectDir)).filter((m) => !ours.has(m.file)).map((m) => [m.id, m]));
  const clashes = drafts.flatMap((d) => d.monitors.filter((m) => existing.has(m.id)).map((m) => `"${m.id}" (${m.name}, ${shown}:${m.at.line}) is already a monitor in ${path.relative(projectDir, existing.get(m.id)!.file)}`));
  if (clashes.length > 0) {
    throw new UserError(`monitor id ${clashes.join("; ")}; nothing was written`, EXIT.findings, "remove or rename the existing monitor (previousIds keeps its alerts), or import into a project without it");
  }

  // Decide for every file before writing any, so a refusal leaves the folder as it was.
  const refused: string[] = [];
  const states = await Promise.all(
    planned.map(async (p) => {
      const existing = await readFile(p.file, "utf8").catch(() => null);
      if (existing === null) return "new" as const;
      if (existing === p.text) return "unchanged" as const;
      const owner = ownership(existing);
      if (owner !== "generated" && !force) refused.push(`${path.relative(projectDir, p.file)} (${owner === "edited" ? "edited since it was imported" : "not written by wk import"})`);
      return "updated" as const;
    }),
  );
  if (refused.length > 0) {
    throw new UserError(`refusing to overwrite ${refused.join(", ")}; nothing was written`, EXIT.findings, "move the file away, choose another --out, or pass --force to overwrite");
  }

  for (const d of drafts) {
    for (const n of [...d.notes, ...d.monitors.flatMap((m) => m.notes)].sort((a, b) => a.at.line - b.at.line)) {
      say(process.stderr, `${shown}:${n.at.line}:${n.at.column}: warning: ${n.message}`);
    }
  }
  if (!serverGiven) process.stderr.write(`note: no --server given: the checks query ${DEFAULT_SERVER} (the prometheusServer constant in each module)\n`);
  makeFolders(outDir);
  let count = 0;
  for (const [i, p] of planned.entries()) {
    const state = states[i]!;
    if (state !== "unchanged") await writeFile(p.file, p.text);
    count += p.draft.monitors.length;
    const n = p.draft.monitors.length;
    say(process.stdout, `${state === "unchanged" ? "unchanged" : state === "new" ? "wrote" : "updated"} ${path.relative(projectDir, p.file)}: ${n} monitor${n === 1 ? "" : "s"} from group "${p.draft.group}"`);
  }
  process.stdout.write(`${count} monitor${count === 1 ? "" : "s"} paging service ${service.id}; run \`wk validate\` to check them\n`);
  return EXIT.ok;
}

/**
 * One line that quotes the rules file (group and alert names, labels, queries), with its invisible
 * characters spelled out: a terminal escape there (ESC [1A ESC [2K) would erase the warning above
 * it, and a bidi control would reorder the line.
 */
function say(stream: NodeJS.WriteStream, line: string): void {
  stream.write(`${visible(line.replace(/\n/g, " "))}\n`);
}

/**
 * The first folder on the way from the project to `--out` (given relative to the project) that is a
 * symbolic link, as a `/`-separated path; null when there is none. The compiler lists modules
 * without following links (a committed link could otherwise pull any file of the machine in), so
 * modules written through one are reported as imported and then never compile.
 */
async function linkOnTheWay(projectDir: string, out: string): Promise<string | null> {
  const parts = out.split(path.sep).filter((p) => p !== "" && p !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const info = await lstat(path.join(projectDir, ...parts.slice(0, i))).catch(() => null);
    if (info === null) return null;
    if (info.isSymbolicLink()) return parts.slice(0, i).join("/");
  }
  return null;
}

/** Far more than the largest rules files in use; a larger input is a mistake (a log, a device), not rules. */
const RULES_FILE_LIMIT_BYTES = 16 * 2 ** 20;

/**
 * The rules file's text, read to its end or to the limit: a pipe (`<(kubectl get ...)`) is read
 * like a file, `/dev/zero` or a huge log is refused at the limit instead of filling the memory.
 */
async function readRulesFile(rulesPath: string, shown: string): Promise<string> {
  try {
    const handle = await open(rulesPath, "r");
    try {
      if ((await handle.stat()).isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR", syscall: "read" });
      const chunks: Buffer[] = [];
      let size = 0;
      for (;;) {
        const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(1 << 16) });
        if (bytesRead === 0) break;
        size += bytesRead;
        if (size > RULES_FILE_LIMIT_BYTES) {
          throw new UserError(`the rules file ${shown} is larger than ${RULES_FILE_LIMIT_BYTES / 2 ** 20} MiB`, EXIT.findings, "import the rules files one at a time (a Prometheus rules file is rarely over 1 MiB)");
        }
        chunks.push(buffer.subarray(0, bytesRead));
      }
      return Buffer.concat(chunks).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`cannot read the rules file ${shown}: no such file`, EXIT.findings, "check the path; it is read from the current folder, not from --project");
    const refusal = fileRefusal(error);
    if (refusal !== null) throw new UserError(`cannot read the rules file ${shown}: ${refusal.reason} (${refusal.code})`, EXIT.findings, refusal.code === "EISDIR" ? "give one rules file (for a folder of them, run the import once per file)" : "check the path, and that this user may read the file");
    throw error;
  }
}

/** `a=1&api_key=K` as `a=1&api_key=***`: the value of every parameter named like a credential masked. */
function maskedParams(text: string): string {
  return text
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq !== -1 && eq < pair.length - 1 && isSecretParamName(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join("&");
}
