import { createHash } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { EXIT, UserError } from "../errors.js";
import { planToken } from "./token.js";
import type { Plan, PlanSource } from "./types.js";
import { makeFolders } from "../../sdk/make-folders.js";

/**
 * `wk plan --out plan.json`: the reviewed plan, as `wk deploy --plan` reads it back. It names the
 * project, the manifest hashes of its base and target and the token over them, and carries the whole
 * diff; `integrity` is a sha256 over the rest, so a hand-edited or truncated file is refused. The
 * integrity hash guards against edits, not against an attacker who can write the artifact: the deploy
 * trusts none of it and recomputes both hashes from what is deployed and what it compiled.
 */
export const PLAN_DOCUMENT_KIND = "WatchkeeperPlan";
export const PLAN_DOCUMENT_VERSION = 1;

export interface PlanDocument {
  kind: typeof PLAN_DOCUMENT_KIND;
  version: typeof PLAN_DOCUMENT_VERSION;
  /** `project.name` of the manifests planned. */
  project: string;
  base: PlanSource;
  target: { hash: string };
  planToken: string;
  /** The diff, as `wk plan --format json` prints it. */
  plan: Plan;
  /** `sha256:` over the canonical JSON of every other field. */
  integrity: string;
}

const documentShape = z.object({
  kind: z.literal(PLAN_DOCUMENT_KIND),
  version: z.literal(PLAN_DOCUMENT_VERSION),
  project: z.string().min(1),
  base: z.object({ kind: z.enum(["git", "file", "stack", "empty"]), ref: z.string().nullable(), hash: z.string().nullable() }),
  target: z.object({ hash: z.string().min(1) }),
  planToken: z.string().regex(/^wkp_[0-9a-f]{32}$/),
  plan: z.object({ planToken: z.string(), base: z.object({ hash: z.string().nullable() }).loose(), target: z.object({ hash: z.string() }).loose() }).loose(),
  integrity: z.string(),
});

/** The document for a plan of `project`. */
export function planDocument(plan: Plan, project: string): PlanDocument {
  const body = { kind: PLAN_DOCUMENT_KIND, version: PLAN_DOCUMENT_VERSION, project, base: plan.base, target: plan.target, planToken: plan.planToken, plan } as const;
  return { ...body, integrity: integrityOf(body) };
}

function integrityOf(body: object): string {
  const { integrity: _self, ...rest } = body as { integrity?: unknown };
  return "sha256:" + createHash("sha256").update(canonicalJson(rest, 0)).digest("hex");
}

/** Writes the document (to a temporary file, then renamed, so a reader never sees half of it). */
export async function writePlanDocument(path: string, doc: PlanDocument): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    makeFolders(dirname(path));
    await writeFile(temp, canonicalJson(doc, 2) + "\n");
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(`cannot write the plan to ${path}: ${code}`, EXIT.findings, "choose a writable path for --out");
  }
}

/** Larger than any plan a project makes, for telling an earlier plan from another file. */
const EARLIER_PLAN_MAX_BYTES = 256 * 2 ** 20;

/**
 * Refuses an `--out` that would replace a file other than an earlier plan: `wk plan --out
 * monitors/checkout.ts` (a slip of the shell's completion) replaced a monitor module with JSON,
 * and outside git that module was gone. A missing or empty file (`mktemp` in CI) and an earlier
 * plan document are fine. Checked before the compile, so nothing is spent on a plan that cannot be saved.
 */
export async function refuseOverwritingNonPlan(path: string, shown: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile() || info.size === 0) return;
  const kind = info.size > EARLIER_PLAN_MAX_BYTES ? null : await readFile(path, "utf8").then(planKindOf, () => null);
  if (kind === PLAN_DOCUMENT_KIND) return;
  throw new UserError(
    `--out ${shown} is a file that is not a plan; wk plan --out replaces only an earlier plan (kind "${PLAN_DOCUMENT_KIND}")`,
    EXIT.usage,
    "choose a new path for the plan, such as plan.json, or remove the file first",
  );
}

function planKindOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { kind?: unknown } | null)?.kind;
  } catch {
    return null;
  }
}

/** Why a plan document cannot be used; `hint` says what to do. */
export class PlanDocumentError extends UserError {
  constructor(path: string, reason: string) {
    super(`refusing the plan ${path}: ${reason}; nothing was deployed`, EXIT.findings, "make the plan again with wk plan --out, review it, and deploy that file");
  }
}

/** Parses and checks a plan document: its shape, its integrity hash and its token. */
export function parsePlanDocument(text: string, path: string): PlanDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlanDocumentError(path, `it is not JSON (${(error as Error).message})`);
  }
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (kind !== PLAN_DOCUMENT_KIND) {
    throw new PlanDocumentError(path, `it is not a Watchkeeper plan (kind ${JSON.stringify(kind)}; wk plan --out writes kind "${PLAN_DOCUMENT_KIND}")`);
  }
  const version = (json as { version?: unknown }).version;
  if (version !== PLAN_DOCUMENT_VERSION) {
    throw new PlanDocumentError(path, `it is plan document version ${JSON.stringify(version)}; this build reads version ${PLAN_DOCUMENT_VERSION}`);
  }
  const parsed = documentShape.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new PlanDocumentError(path, `it is malformed (${problems})`);
  }
  const doc = json as PlanDocument;
  if (doc.integrity !== integrityOf(doc)) throw new PlanDocumentError(path, "its content does not match its integrity hash (edited or truncated after wk plan wrote it)");
  if (doc.planToken !== planToken(doc.base.hash, doc.target.hash)) {
    throw new PlanDocumentError(path, "its token is not the token of its base and target hashes (edited after wk plan wrote it)");
  }
  if (doc.plan.planToken !== doc.planToken || doc.plan.base.hash !== doc.base.hash || doc.plan.target.hash !== doc.target.hash) {
    throw new PlanDocumentError(path, "its diff was made for other manifests than its header names");
  }
  return doc;
}

/** Reads a plan document from a file; an unreadable file is refused like a malformed one. */
export async function readPlanDocument(path: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PlanDocumentError(path, code === "ENOENT" ? "the file does not exist" : `it cannot be read (${code ?? String(error)})`);
  }
  return parsePlanDocument(text, path);
}
