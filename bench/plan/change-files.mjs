// The "pull request" of the plan benchmark: edits 10 files of the tree that
// bench/compile/generate.ts writes, the way a typical change does.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** 8 monitors (their `for`), one service's auto-resolve timeout, one schedule's rotation. */
export function changeFiles(root, { services = 100 } = {}) {
  const changed = [];
  const edit = (file, pattern, replace) => {
    const path = join(root, file);
    const text = readFileSync(path, "utf8");
    const next = text.replace(pattern, replace);
    if (next === text) throw new Error(`${file}: nothing matched ${pattern}`);
    writeFileSync(path, next);
    changed.push(file);
  };
  for (let i = 0; i < 8; i++) {
    const m = i * 97 + 3;
    edit(`monitors/service-${m % services}/monitor-${m}.ts`, /for: "(\d+)m"/, (_all, n) => `for: "${Number(n) + 5}m"`);
  }
  edit("policies/services/service-3.ts", `autoResolveTimeout: "4h"`, `autoResolveTimeout: "2h"`);
  edit("policies/services/service-5.ts", `rotation: "1w"`, `rotation: "2w"`);
  return changed;
}
