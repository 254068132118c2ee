// Generates a Watchkeeper project of N services with M monitors each (default 100 x 10 = 1,000
// monitors), one file per monitor and one policy file per service, for the plan benchmark.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const pad = (n) => String(n).padStart(3, "0");
const USERS = 30;
const TEAMS = 10;

function write(root, file, text) {
  const path = join(root, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Writes the tree into `root` (emptied first). */
export function generateTree(root, { services = 100, monitorsPerService = 10 } = {}) {
  rmSync(root, { recursive: true, force: true });
  write(
    root,
    "watchkeeper.config.ts",
    `import { config } from "watchkeeper";\n\nexport default config({\n  name: "bench-tree",\n  monitors: ["monitors/**/*.ts"],\n  policies: ["policies/**/*.ts"],\n  secrets: ["API_TOKEN"],\n  statusPage: { title: "Bench" },\n});\n`,
  );
  let people = `import { user } from "watchkeeper";\n\n`;
  for (let u = 0; u < USERS; u++) {
    people += `export const u${pad(u)} = user({ id: "user-${pad(u)}", name: "User ${u}", email: "user-${pad(u)}@example.test", timeZone: "Europe/Berlin" });\n`;
  }
  write(root, "policies/people.ts", people);
  let teams = `import { team } from "watchkeeper";\nimport * as p from "./people.js";\n\n`;
  for (let t = 0; t < TEAMS; t++) {
    const members = [0, 1, 2].map((k) => `{ user: p.u${pad((t * 3 + k) % USERS)}, role: "responder" }`).join(", ");
    teams += `export const t${pad(t)} = team({ id: "team-${pad(t)}", name: "Team ${t}", members: [${members}] });\n`;
  }
  write(root, "policies/teams.ts", teams);
  for (let s = 0; s < services; s++) {
    const users = [0, 1, 2].map((k) => `p.u${pad((s + k) % USERS)}`).join(", ");
    write(
      root,
      `policies/services/svc-${pad(s)}.ts`,
      `import { escalationPolicy, schedule, service } from "watchkeeper";
import * as p from "../people.js";
import { t${pad(s % TEAMS)} as team } from "../teams.js";

export const oncall = schedule({
  id: "svc-${pad(s)}-oncall",
  name: "Service ${s} on call",
  timeZone: "Europe/Berlin",
  layers: [{ name: "Weekly", start: "2026-01-05T09:00:00+01:00", rotation: "1w", users: [${users}] }],
  teams: [team],
});

export const escalation = escalationPolicy({
  id: "svc-${pad(s)}-escalation",
  loops: 1,
  rules: [
    { delay: "15m", targets: [oncall] },
    { delay: "15m", targets: [p.u${pad((s + 3) % USERS)}] },
  ],
  teams: [team],
});

export const svc = service({
  id: "svc-${pad(s)}",
  name: "Service ${s}",
  escalationPolicy: escalation,
  team,
  urgency: "high",
  autoResolveTimeout: "4h",
});
`,
    );
    for (let m = 0; m < monitorsPerService; m++) {
      write(
        root,
        `monitors/svc-${pad(s)}/mon-${pad(m)}.ts`,
        `import { check, monitor, secret } from "watchkeeper";
import { svc } from "../../policies/services/svc-${pad(s)}.js";

/** Endpoint ${m} of service ${s}. */
export const m = monitor({
  id: "svc-${pad(s)}-mon-${pad(m)}",
  name: "Service ${s} endpoint ${m}",
  schedule: { every: "1m" },
  check: check.http({
    url: "https://svc-${pad(s)}.example.test/endpoint/${m}",
    headers: { authorization: secret("API_TOKEN") },
    expect: { status: 200, maxLatency: "2s" },
  }),
  for: "2m",
  severity: "critical",
  service: svc,
  labels: { service: "svc-${pad(s)}", endpoint: "${m}" },
  summary: "Service ${s} endpoint ${m} is failing",
});
`,
      );
    }
  }
}

/**
 * Edits `count` files the way a typical pull request does: monitor latency limits and schedules,
 * one service's urgency, one schedule's layer.
 */
export function changeFiles(root, count = 10) {
  const changed = [];
  const edit = (file, from, to) => {
    const path = join(root, file);
    const text = readFileSync(path, "utf8");
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    writeFileSync(path, text.replace(from, to));
    changed.push(file);
  };
  for (let i = 0; i < count - 2; i++) {
    const file = `monitors/svc-${pad(i * 7)}/mon-${pad(i % 10)}.ts`;
    if (i % 2 === 0) edit(file, `maxLatency: "2s"`, `maxLatency: "1s"`);
    else edit(file, `every: "1m"`, `every: "30s"`);
  }
  edit(`policies/services/svc-${pad(3)}.ts`, `urgency: "high"`, `urgency: "severity_based"`);
  edit(`policies/services/svc-${pad(5)}.ts`, `rotation: "1w"`, `rotation: "1d"`);
  return changed;
}
