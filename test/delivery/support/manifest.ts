import { sealManifest, type ChannelSpec, type Manifest, type MonitorSpec, type ServiceSpec } from "../../../sdk/manifest/index.js";

/** A monitor spec with sensible defaults for delivery tests. */
export function testMonitor(id: string, overrides: Partial<MonitorSpec> = {}): MonitorSpec {
  return {
    id,
    name: `Monitor ${id}`,
    description: null,
    owner: "team-a",
    schedule: { kind: "every", every: "30s" },
    check: {
      kind: "http",
      url: `https://${id}.example.com/health`,
      method: "GET",
      headers: {},
      body: null,
      timeout: "5s",
      followRedirects: true,
      expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null },
    },
    threshold: null,
    for: "0s",
    keepFiringFor: "0s",
    failureThreshold: 1,
    successThreshold: 1,
    repeatEvery: null,
    onError: "fail",
    severity: "critical",
    service: null,
    channels: [],
    ackChannels: [],
    inhibits: [],
    labels: {},
    summary: `${id} is failing`,
    runbook: `https://runbooks.example.com/${id}`,
    diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false },
    codeHash: "none",
    source: `monitors/${id}.ts`,
    ...overrides,
  };
}

export function testService(id: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    id,
    name: `Service ${id}`,
    description: null,
    escalationPolicy: "default-policy",
    team: null,
    urgency: "high",
    autoResolveTimeout: null,
    acknowledgementTimeout: null,
    alertGrouping: null,
    routingKey: null,
    source: `policies/${id}.ts`,
    ...overrides,
  };
}

type Common = Pick<ChannelSpec, "baseUrl" | "groupWait" | "groupInterval" | "rateLimitPerMinute" | "source">;
const common: Common = { baseUrl: null, groupWait: null, groupInterval: null, rateLimitPerMinute: null, source: "channels.ts" };

type Kinded<K extends ChannelSpec["kind"]> = Omit<Extract<ChannelSpec, { kind: K }>, "id" | "kind" | keyof Common> & Partial<Common>;

/** Builds a channel spec of a kind with the common fields defaulted. */
export function testChannel<K extends ChannelSpec["kind"]>(id: string, kind: K, fields: Kinded<K>): ChannelSpec {
  return { ...common, id, kind, ...fields } as unknown as ChannelSpec;
}

/** A sealed manifest with the given parts; secrets lists every name used. */
export function testManifest(parts: {
  monitors: MonitorSpec[];
  services?: ServiceSpec[];
  channels?: ChannelSpec[];
  silences?: Manifest["silences"];
  secrets?: string[];
  publicUrl?: string | null;
}): Manifest {
  return sealManifest({
    apiVersion: "watchkeeper.dev/v1",
    kind: "Manifest",
    project: { name: "delivery-tests" },
    monitors: parts.monitors,
    services: parts.services ?? [],
    escalationPolicies: [],
    schedules: [],
    teams: [],
    users: [],
    channels: parts.channels ?? [],
    silences: parts.silences ?? [],
    secrets: parts.secrets ?? [],
    settings: { statusPage: { title: "Example status" }, publicUrl: parts.publicUrl === undefined ? "https://status.example.com" : parts.publicUrl },
  });
}
