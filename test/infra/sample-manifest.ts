import { sealManifest, API_VERSION, type Manifest, type MonitorSpec } from "../../sdk/manifest/index.js";

type Draft = Omit<Manifest, "hash">;

/** A monitor with every field filled in, for fixtures. */
export function sampleMonitor(id: string, overrides: Partial<MonitorSpec> = {}): MonitorSpec {
  return {
    id,
    name: `Monitor ${id}`,
    description: null,
    owner: "payments",
    schedule: { kind: "cron", expression: "*/5 * * * *", timezone: "UTC" },
    check: {
      kind: "http",
      url: `https://example.test/${id}`,
      method: "GET",
      headers: { authorization: { secret: "API_TOKEN" } },
      body: null,
      timeout: "10s",
      followRedirects: true,
      expect: { status: [200], maxLatency: "2s", headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null },
    },
    threshold: null,
    for: "2m",
    keepFiringFor: "0s",
    failureThreshold: 1,
    successThreshold: 1,
    repeatEvery: null,
    onError: "fail",
    severity: "critical",
    service: "payments-api",
    channels: [],
    ackChannels: [],
    inhibits: [],
    labels: { team: "payments" },
    summary: "{{monitor}} failed",
    runbook: null,
    diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false },
    codeHash: "sha256:0",
    source: `monitors/${id}.ts`,
    ...overrides,
  };
}

/** A small but complete on-call setup: two users (one existing), a team, a 24/7 schedule, a policy, a service. */
export function sampleDraft(): Draft {
  return {
    apiVersion: API_VERSION,
    kind: "Manifest",
    project: { name: "acme" },
    monitors: [sampleMonitor("payments-api-latency")],
    users: [
      { id: "alice", name: "Alice Adams", email: "alice@example.test", role: "user", timeZone: "Europe/Berlin", existing: false, source: "policies/users.ts" },
      { id: "bob", name: "Bob Brown", email: "bob@example.test", role: "limited_user", timeZone: null, existing: true, source: "policies/users.ts" },
    ],
    teams: [
      {
        id: "payments",
        name: "Payments",
        description: "Payments team",
        members: [
          { user: "alice", role: "manager" },
          { user: "bob", role: "responder" },
        ],
        source: "policies/teams.ts",
      },
    ],
    schedules: [
      {
        id: "payments-primary",
        name: "Payments primary",
        description: null,
        timeZone: "Europe/Berlin",
        teams: ["payments"],
        layers: [
          {
            name: "Weekly",
            start: "2026-01-05T09:00:00+01:00",
            end: null,
            rotationTurnLength: "1w",
            rotationVirtualStart: "2026-01-05T09:00:00+01:00",
            users: ["alice", "bob"],
            restrictions: [],
          },
        ],
        source: "policies/schedules.ts",
      },
    ],
    escalationPolicies: [
      {
        id: "payments-escalation",
        name: "Payments escalation",
        description: null,
        loops: 2,
        rules: [
          { escalationDelay: "10m", targets: [{ type: "schedule", id: "payments-primary" }] },
          { escalationDelay: "15m", targets: [{ type: "user", id: "alice" }] },
        ],
        teams: ["payments"],
        source: "policies/escalation.ts",
      },
    ],
    services: [
      {
        id: "payments-api",
        name: "Payments API",
        description: "Card payments",
        escalationPolicy: "payments-escalation",
        team: "payments",
        urgency: "severity_based",
        autoResolveTimeout: "4h",
        acknowledgementTimeout: null,
        alertGrouping: { type: "time", timeout: "10m" },
        routingKey: null,
        source: "policies/services.ts",
      },
    ],
    channels: [],
    silences: [
      {
        id: "db-upgrade",
        kind: "maintenance",
        start: "2026-12-01T02:00:00Z",
        end: "2026-12-01T04:00:00Z",
        comment: "Database upgrade",
        matchers: { monitors: [], services: ["payments-api"], labels: {} },
        source: "policies/maintenance.ts",
      },
    ],
    secrets: ["API_TOKEN"],
    settings: { statusPage: { title: "Acme status" }, publicUrl: "https://wk.example.test/" },
  };
}

/** Seals a draft after applying an edit to a deep copy. */
export function sampleManifest(edit: (draft: Draft) => void = () => {}): Manifest {
  const draft = structuredClone(sampleDraft());
  edit(draft);
  return sealManifest(draft);
}
