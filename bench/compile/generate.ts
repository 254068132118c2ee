import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface TreeSize {
  monitors: number;
  services: number;
  teams: number;
}

export interface TreeOptions extends Partial<TreeSize> {
  /**
   * The SDK's type entry (`build/sdk/index.d.ts`). When given, a tsconfig.json with the options
   * `wk validate` uses is written, so `tsc --noEmit -p DIR` checks the same program.
   */
  sdkTypes?: string;
  /** Folder holding `@types/node` for that tsconfig. */
  typeRoots?: string;
}

const CHECKS = ["http", "prometheus", "tcp", "dns", "heartbeat", "script"] as const;

/**
 * Writes a realistic project: teams of users, one policy module per service (schedule with
 * office-hours and weekend layers, escalation policy, Slack channel, service) and one module per
 * monitor, spread across the services and check kinds. Deterministic: same size, same bytes.
 */
export function generateTree(dir: string, options: TreeOptions = {}): TreeSize {
  const size: TreeSize = { monitors: options.monitors ?? 1000, services: options.services ?? 100, teams: options.teams ?? 20 };
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const secrets = ["OPS_API_TOKEN", ...Array.from({ length: size.services }, (_, s) => `SLACK_WEBHOOK_${s}`)];
  write("package.json", JSON.stringify({ name: "generated-watchkeeper-project", private: true, type: "module" }, null, 2) + "\n");
  write(
    "watchkeeper.config.ts",
    `import { config } from "watchkeeper";\n\nexport default config({\n  name: "generated",\n  secrets: ${JSON.stringify(secrets)},\n  defaults: { timezone: "Europe/Berlin" },\n});\n`,
  );
  if (options.sdkTypes) write("tsconfig.json", JSON.stringify(tsconfig(options.sdkTypes, options.typeRoots), null, 2) + "\n");

  for (let t = 0; t < size.teams; t++) {
    const users = Array.from({ length: 5 }, (_, u) => `user${u}`);
    write(
      `policies/teams/team-${t}.ts`,
      [
        `import { team, user } from "watchkeeper";`,
        "",
        ...users.map((u, i) => `export const ${u} = user({ id: "t${t}-${u}", name: "Team ${t} person ${i}", email: "t${t}.${u}@example.com" });`),
        `export const manager = user({ id: "t${t}-manager", name: "Team ${t} manager", email: "t${t}.manager@example.com" });`,
        `export const members = [${users.join(", ")}];`,
        `export const team${t} = team({ id: "team-${t}", name: "Team ${t}", members: [...members, { user: manager, role: "manager" }] });`,
        "",
      ].join("\n"),
    );
  }

  for (let s = 0; s < size.services; s++) {
    const t = s % size.teams;
    write(
      `policies/services/service-${s}.ts`,
      [
        `import { channel, escalationPolicy, schedule, secret, service } from "watchkeeper";`,
        `import { manager, members, team${t} } from "../teams/team-${t}.js";`,
        "",
        `export const rotation${s} = schedule({`,
        `  id: "service-${s}-rotation",`,
        `  timeZone: "Europe/Berlin",`,
        `  layers: [`,
        `    { name: "weekdays", start: "2026-01-05T09:00:00", rotation: "1w", users: members, restrictions: [{ daily: { start: "08:00", duration: "16h" } }] },`,
        `    { name: "nights", start: "2026-01-05T00:00:00", rotation: "1d", users: [...members].reverse() },`,
        `  ],`,
        `});`,
        "",
        `export const policy${s} = escalationPolicy({`,
        `  id: "service-${s}-escalation",`,
        `  loops: 2,`,
        `  rules: [`,
        `    { delay: "15m", targets: [rotation${s}] },`,
        `    { delay: "15m", targets: [manager] },`,
        `  ],`,
        `});`,
        "",
        `export const slack${s} = channel.slack({ id: "service-${s}-slack", webhookUrl: secret("SLACK_WEBHOOK_${s}") });`,
        "",
        `export const service${s} = service({ id: "service-${s}", name: "Service ${s}", escalationPolicy: policy${s}, team: team${t}, autoResolveTimeout: "4h" });`,
        "",
      ].join("\n"),
    );
  }

  for (let m = 0; m < size.monitors; m++) {
    const s = m % size.services;
    const kind = CHECKS[m % CHECKS.length]!;
    write(
      `monitors/service-${s}/monitor-${m}.ts`,
      [
        `import { check, monitor } from "watchkeeper";`,
        `import { service${s}, slack${s} } from "../../policies/services/service-${s}.js";`,
        "",
        `export const monitor${m} = monitor({`,
        `  id: "service-${s}-monitor-${m}",`,
        `  name: "Service ${s} ${kind} ${m}",`,
        `  schedule: ${m % 3 === 0 ? '"0 * * ? * *"' : m % 3 === 1 ? '{ every: "30s" }' : '"*/5 * * * *"'},`,
        `  check: ${checkSource(kind, m, s)},`,
        kind === "prometheus" ? `  condition: (result) => (result.value ?? 0) > ${(m % 10) / 100},` : `  failureThreshold: ${1 + (m % 3)},`,
        `  for: "${1 + (m % 5)}m",`,
        `  severity: "${m % 4 === 0 ? "critical" : m % 4 === 1 ? "error" : "warning"}",`,
        `  service: service${s},`,
        `  channels: [slack${s}],`,
        `  labels: { service: "service-${s}", tier: "${m % 2 === 0 ? "frontend" : "backend"}" },`,
        `  runbook: "https://runbooks.example.com/service-${s}#monitor-${m}",`,
        `});`,
        "",
      ].join("\n"),
    );
  }
  return size;
}

function checkSource(kind: (typeof CHECKS)[number], m: number, s: number): string {
  switch (kind) {
    case "http":
      return `check.http({ url: "https://service-${s}.example.com/health/${m}", headers: { accept: "application/json" }, expect: { status: [200, 204], maxLatency: "800ms", json: [{ path: "status", equals: "ok" }] } })`;
    case "prometheus":
      return `check.prometheus({ server: "http://prometheus:9090", query: 'rate(http_requests_total{service="service-${s}",status=~"5.."}[5m])' })`;
    case "tcp":
      return `check.tcp({ host: "db-${s}.internal", port: ${5000 + (m % 1000)} })`;
    case "dns":
      return `check.dns({ name: "service-${s}.example.com", recordType: "A", nameservers: ["ns1.example.com", "ns2.example.com"] })`;
    case "heartbeat":
      return `check.heartbeat({ every: "1h", grace: "10m" })`;
    case "script":
      return `check.script({ run: async (ctx) => ({ ok: ctx.now.getTime() > 0, value: ${m}, message: "script ${m} ran" }) })`;
  }
}

/** The type-check options of `wk validate`, as a tsconfig for `tsc --noEmit`. */
function tsconfig(sdkTypes: string, typeRoots: string | undefined): object {
  return {
    compilerOptions: {
      strict: true,
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023"],
      types: ["node"],
      ...(typeRoots ? { typeRoots: [typeRoots] } : {}),
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      paths: { watchkeeper: [sdkTypes] },
    },
    include: ["watchkeeper.config.ts", "monitors/**/*.ts", "policies/**/*.ts"],
  };
}
