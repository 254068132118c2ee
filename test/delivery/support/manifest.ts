import { sealManifest, type ChannelSpec, type Manifest, type MonitorSpec, type ServiceSpec } from "../../../sdk/manifest/index.js";
import { manifestOf, monitorSpec } from "../../runtime/support/manifest.js";

/** A monitor spec with delivery-test defaults, on top of the runtime tests' defaults. */
export function testMonitor(id: string, overrides: Partial<MonitorSpec> = {}): MonitorSpec {
  const base = monitorSpec({ id });
  return monitorSpec({
    id,
    name: `Monitor ${id}`,
    owner: "team-a",
    schedule: { kind: "every", every: "30s" },
    check: { ...(base.check as Extract<MonitorSpec["check"], { kind: "http" }>), url: `https://${id}.example.com/health`, timeout: "5s", followRedirects: true },
    summary: `${id} is failing`,
    runbook: `https://runbooks.example.com/${id}`,
    ...overrides,
  });
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
  const { hash: _hash, ...empty } = manifestOf(parts.monitors, parts.secrets ?? [], "Example status");
  return sealManifest({
    ...empty,
    project: { name: "delivery-tests" },
    services: parts.services ?? [],
    channels: parts.channels ?? [],
    silences: parts.silences ?? [],
    settings: { statusPage: { title: "Example status" }, publicUrl: parts.publicUrl === undefined ? "https://status.example.com" : parts.publicUrl },
  });
}
