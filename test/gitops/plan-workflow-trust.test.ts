import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "../compiler/support.js";

// The pull request workflow runs the author's code: package.json scripts on `npm ci`, the `wk` the
// lockfile names, and the workflow file itself as the pull request edits it. Whatever its job can
// read, the author can print; whatever comment it finds, the author may have written.

// Parsed YAML is checked field by field by the assertions themselves.
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sets = [
  ["the scaffold's", path.join(ROOT, "templates", "init", "_github", "workflows")],
  ["this repository's", path.join(ROOT, ".github", "workflows")],
] as const;

const text = (folder: string) => readFileSync(path.join(folder, "pull-request.yml"), "utf8");
const steps = (workflow: Yaml): Yaml[] => Object.values(workflow["jobs"] as Record<string, Yaml>).flatMap((job) => job["steps"] as Yaml[]);

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
}

/** Runs the workflow's comment step against a pull request that already holds `existing`. */
async function postComment(folder: string, existing: Comment[]): Promise<{ updated: number[]; created: number }> {
  const step = steps(parse(text(folder)) as Yaml).find((s) => String(s["uses"]).startsWith("actions/github-script@"))!;
  const calls = { updated: [] as number[], created: 0 };
  const github = {
    paginate: async () => existing,
    rest: {
      issues: {
        listComments: {},
        updateComment: async ({ comment_id }: { comment_id: number }) => void calls.updated.push(comment_id),
        createComment: async () => void calls.created++,
      },
    },
  };
  const context = { repo: { owner: "acme", repo: "monitors" }, issue: { number: 7 }, serverUrl: "https://github.com", runId: 1 };
  const fs = { readFileSync: () => "<!-- watchkeeper-plan -->\n### Watchkeeper plan\n" };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  await new AsyncFunction("require", "github", "context", "core", step["with"]["script"] as string)(() => fs, github, context, {});
  return calls;
}

const bot = (id: number): Comment => ({ id, body: "<!-- watchkeeper-plan -->\nold plan", user: { login: "github-actions[bot]", type: "Bot" } });
const forged = (id: number): Comment => ({ id, body: "<!-- watchkeeper-plan -->\n**No changes**", user: { login: "mallory", type: "User" } });

describe.each(sets)("%s pull request workflow", (_name, folder) => {
  it("gives the plan job no secret, and leaves no token in the checkout for the pull request's code", () => {
    expect(text(folder)).not.toMatch(/\bsecrets\./);
    const checkout = steps(parse(text(folder)) as Yaml).find((s) => String(s["uses"]).startsWith("actions/checkout@"))!;
    expect(checkout["with"]["persist-credentials"]).toBe(false);
  });

  it("plans against a git base from full history, which needs no access to the stack", () => {
    const all = steps(parse(text(folder)) as Yaml);
    const checkout = all.find((s) => String(s["uses"]).startsWith("actions/checkout@"))!;
    expect(checkout["with"]["fetch-depth"]).toBe(0);
    const plan = all.map((s) => String(s["run"] ?? "")).find((r) => /\bplan\b.*--out plan\.json/.test(r))!;
    // The scaffold's base is the commit its deploy tagged; this repository deploys nothing and compares with its base branch.
    expect(plan).toMatch(folder.includes("templates") ? /--base watchkeeper-deployed/ : /--base "?origin\//);
    expect(plan).not.toMatch(/--base-stack/);
  });

  it("interpolates no expression into a shell script", () => {
    for (const s of steps(parse(text(folder)) as Yaml)) expect(String(s["run"] ?? "")).not.toMatch(/\$\{\{/);
  });

  it("updates its own plan comment, not a comment someone posted with the marker", async () => {
    expect(await postComment(folder, [forged(1), bot(2)])).toEqual({ updated: [2], created: 0 });
    expect(await postComment(folder, [forged(1)])).toEqual({ updated: [], created: 1 });
  });
});

describe("the scaffold's deploy records what it deployed", () => {
  const deploy = parse(readFileSync(path.join(sets[0][1], "deploy.yml"), "utf8")) as Yaml;

  it("moves the tag the pull requests plan against, only after the stack was deployed", () => {
    const all = steps(deploy);
    const applied = all.findIndex((s) => /\bwk deploy --plan\b/.test(String(s["run"] ?? "")));
    const tagged = all.findIndex((s) => /git push -f origin refs\/tags\/watchkeeper-deployed/.test(String(s["run"] ?? "")));
    expect(applied).toBeGreaterThanOrEqual(0);
    expect(tagged).toBeGreaterThan(applied);
    expect(deploy["permissions"]["contents"]).toBe("write");
  });

  it("plans against nothing before the first deploy, so the first merge deploys through a pull request", () => {
    const plan = steps(parse(text(sets[0][1])) as Yaml).map((s) => String(s["run"] ?? "")).find((r) => /--out plan\.json/.test(r))!;
    expect(plan).toMatch(/refs\/tags\/watchkeeper-deployed/);
    expect(plan).toMatch(/^\s*npx wk plan --out plan\.json/m);
  });
});
