import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { API_VERSION, canonicalJson, sealManifest, type Manifest, type MonitorSpec } from "../../../sdk/manifest/index.js";
import { DEFAULT_RUNTIME_SETTINGS } from "../../../sdk/manifest/schema.js";

/** A monitor spec with sensible defaults: an HTTP check every 10s that fires at once. */
export function monitorSpec(over: Partial<MonitorSpec> & { id: string }): MonitorSpec {
  return {
    name: over.id,
    description: null,
    owner: null,
    schedule: { kind: "every", every: "10s" },
    check: {
      kind: "http",
      url: "http://127.0.0.1:9/",
      method: "GET",
      headers: {},
      body: null,
      timeout: "2s",
      followRedirects: false,
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
    summary: "{{name}}: {{message}}",
    runbook: null,
    diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false },
    codeHash: "none",
    source: `monitors/${over.id}.ts`,
    ...over,
  };
}

/** A sealed manifest holding these monitors and these declared secret names (`openReads`: the team's views need no token). */
export function manifestOf(monitors: MonitorSpec[], secrets: string[] = [], title = "Test status", options: { openReads?: boolean } = {}): Manifest {
  return sealManifest({
    apiVersion: API_VERSION,
    kind: "Manifest",
    project: { name: "test" },
    monitors,
    services: [],
    escalationPolicies: [],
    schedules: [],
    teams: [],
    users: [],
    channels: [],
    silences: [],
    secrets,
    settings: { statusPage: { title }, publicUrl: null, ...(options.openReads ? { runtime: { ...DEFAULT_RUNTIME_SETTINGS, openReads: true } } : {}) },
  } as Omit<Manifest, "hash">);
}

/** Writes manifest.json and monitors.mjs (given as module source) into a folder. */
export async function writeArtifact(dir: string, manifest: Manifest, bundleSource = "export default {};\n"): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "manifest.json"), canonicalJson(manifest) + "\n");
  await writeFile(join(dir, "monitors.mjs"), bundleSource);
}
