import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as init } from "../../cli/commands/init.js";
import { ROOT } from "../compiler/support.js";

// Parsed YAML is checked field by field by the assertions themselves.
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The runtime image's command line (this repository's Dockerfile): what the pod must match. */
function runtimeCommand(): string[] {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  if (!cmd) throw new Error("the Dockerfile has no exec-form CMD");
  return JSON.parse(cmd[1]!) as string[];
}
const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

function kubectl(): string | null {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return "kubectl";
  } catch {
    return null;
  }
}

/**
 * Violations of the "restricted" Pod Security Standard (Kubernetes docs, Pod Security Standards),
 * the checks that apply to a pod spec written by hand.
 */
export function restrictedViolations(pod: Yaml): string[] {
  const found: string[] = [];
  const allowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
  for (const k of ["hostNetwork", "hostPID", "hostIPC"]) if (pod[k] === true) found.push(`${k} is true`);
  for (const v of pod.volumes ?? []) {
    const kinds = Object.keys(v).filter((k) => k !== "name");
    for (const k of kinds) if (!allowedVolumes.includes(k)) found.push(`volume ${v.name} is ${k}`);
  }
  const podSc = pod.securityContext ?? {};
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const sc = c.securityContext ?? {};
    if (sc.privileged === true) found.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) found.push(`${c.name}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) found.push(`${c.name}: capabilities do not drop ALL`);
    for (const add of sc.capabilities?.add ?? []) if (add !== "NET_BIND_SERVICE") found.push(`${c.name}: adds capability ${add}`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) found.push(`${c.name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) found.push(`${c.name}: runs as uid 0`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") found.push(`${c.name}: seccompProfile is ${seccomp ?? "unset"}`);
    for (const p of c.ports ?? []) if (p.hostPort) found.push(`${c.name}: hostPort ${p.hostPort}`);
  }
  return found;
}

/** The objects a kustomization's `resources` list, parsed. */
function kustomizeResources(dir: string): { kustomization: Yaml; objects: Yaml[] } {
  const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as Yaml;
  const objects = (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), "utf8")).map((d) => d.toJS() as Yaml).filter((o) => o !== null),
  );
  return { kustomization, objects };
}

function workflows(dir: string): Map<string, Yaml> {
  const found = new Map<string, Yaml>();
  const folder = path.join(dir, ".github", "workflows");
  for (const file of readdirSync(folder).filter((f) => /\.ya?ml$/.test(f))) found.set(file, parse(readFileSync(path.join(folder, file), "utf8")) as Yaml);
  return found;
}
const steps = (workflow: Yaml): Yaml[] => Object.values(workflow.jobs as Record<string, Yaml>).flatMap((job) => job.steps as Yaml[]);

let base: string;
let scaffold: string;
beforeAll(async () => {
  base = realpathSync(await mkdtemp(path.join(tmpdir(), "wk-production-files-")));
  scaffold = path.join(base, "my-monitors");
  const out = process.stdout.write;
  process.stdout.write = () => true;
  try {
    expect(await init({ dir: scaffold, from: VERSION })).toBe(0);
  } finally {
    process.stdout.write = out;
  }
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe.each([
  ["the scaffold's", () => scaffold],
  ["this repository's", () => ROOT],
])("%s workflows", (_name, dir) => {
  it("pin every action to a full commit SHA, with the version in a comment", () => {
    for (const [file, workflow] of workflows(dir())) {
      for (const step of steps(workflow).filter((s) => s.uses !== undefined)) {
        expect(step.uses, `${file}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      }
      const text = readFileSync(path.join(dir(), ".github", "workflows", file), "utf8");
      for (const line of text.split("\n").filter((l) => /uses: /.test(l))) expect(line, file).toMatch(/# v\d+\.\d+\.\d+/);
    }
  });

  it("run Node on the current LTS, 26", () => {
    const setups = [...workflows(dir()).values()].flatMap(steps).filter((s) => String(s.uses).startsWith("actions/setup-node@"));
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(s.with["node-version"]).toBe(26);
  });
});

describe("the scaffold's pull-request and deploy workflows", () => {
  it("validate, plan into plan.json, keep it as an artifact and post one comment", () => {
    const pr = workflows(scaffold).get("pull-request.yml")!;
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    const all = steps(pr);
    const runs = all.map((s) => String(s.run ?? ""));
    expect(runs.some((r) => /\bwk validate\b/.test(r))).toBe(true);
    const plan = runs.find((r) => /\bwk plan\b/.test(r))!;
    expect(plan).toMatch(/--out plan\.json/);
    expect(plan).toMatch(/--format markdown/);
    const upload = all.find((s) => String(s.uses).startsWith("actions/upload-artifact@"))!;
    expect(upload.with.name).toBe("watchkeeper-plan");
    expect(upload.with.path).toContain("plan.json");
    const comment = all.find((s) => String(s.uses).startsWith("actions/github-script@"))!;
    expect(comment.with.script).toContain("<!-- watchkeeper-plan -->");
    expect(comment.with.script).toMatch(/updateComment/);
  });

  it("on merge, deploy exactly the pull request's plan artifact, then build and roll out the runtime compiled to that plan's target", () => {
    const deploy = workflows(scaffold).get("deploy.yml")!;
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.permissions.actions).toBe("read");
    expect(deploy.concurrency["cancel-in-progress"]).toBe(false);
    const all = steps(deploy);
    const at = (pred: (s: Yaml) => boolean) => all.findIndex(pred);
    const download = all[at((s) => String(s.uses).startsWith("actions/download-artifact@"))]!;
    expect(download.with.name).toBe("watchkeeper-plan");
    expect(download.with["run-id"]).toMatch(/steps\.reviewed\.outputs\.run-id/);
    expect(download.with["github-token"]).toBeDefined();
    const applyAt = at((s) => /\bwk deploy\b/.test(String(s.run ?? "")));
    expect(all[applyAt]!.run).toContain(`--plan ${download.with.path}/plan.json`);
    const buildAt = at((s) => String(s.uses).startsWith("docker/build-push-action@"));
    const rolloutAt = at((s) => /kubectl apply -k/.test(String(s.run ?? "")));
    const compileAt = at((s) => /\bwk compile\b/.test(String(s.run ?? "")));
    expect(compileAt).toBeLessThan(buildAt);
    // The runtime artifact is the reviewed plan's target, like the deploy's own compile.
    expect(all[compileAt]!.run).toContain(`--plan ${download.with.path}/plan.json`);
    expect(applyAt).toBeLessThan(buildAt);
    expect(buildAt).toBeLessThan(rolloutAt);
    expect(all[rolloutAt]!.run).toMatch(/rollout status deployment\/watchkeeper/);
  });
});

describe("the scaffold's Dockerfile", () => {
  it("bakes the compiled artifact onto the runtime image of the same version, where the runtime reads it", () => {
    const dockerfile = readFileSync(path.join(scaffold, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(new RegExp(`^ARG WATCHKEEPER_IMAGE=[a-z0-9./-]+:${VERSION.replace(/\./g, "\\.")}$`, "m"));
    expect(dockerfile).toMatch(/^FROM \$\{WATCHKEEPER_IMAGE\}$/m);
    const copy = /^COPY .*dist\/watchkeeper\/? (\S+?)\/?$/m.exec(dockerfile);
    expect(copy?.[1]).toBe(flag(runtimeCommand(), "--artifact"));
    expect(readFileSync(path.join(scaffold, ".dockerignore"), "utf8")).toMatch(/^!dist\/watchkeeper\/$/m);
  });

  it("this repository's runtime stage carries no monitors and runs on Node 26", () => {
    const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:26-/m);
    const runtimeStage = dockerfile.split(/^FROM /m).find((s) => / AS runtime$/m.test(s.split("\n")[0]!))!;
    expect(runtimeStage).not.toMatch(/^COPY .*artifact/m);
  });
});

describe.each([
  ["the scaffold's", () => path.join(scaffold, "deploy", "kubernetes")],
  ["this repository's", () => path.join(ROOT, "deploy", "kubernetes")],
])("%s Kubernetes manifests", (_name, dir) => {
  const deployment = () => kustomizeResources(dir()).objects.find((o) => o.kind === "Deployment")!;
  const container = () => deployment().spec.template.spec.containers[0] as Yaml;
  const env = (name: string) => (container().env as Yaml[]).find((e) => e.name === name)?.value as string | undefined;
  const mountOf = (file: string) => (container().volumeMounts as Yaml[]).find((m) => file === m.mountPath || file.startsWith(`${m.mountPath}/`));
  const volume = (name: string) => (deployment().spec.template.spec.volumes as Yaml[]).find((v) => v.name === name)!;

  it("pass the restricted Pod Security Standard", () => {
    expect(restrictedViolations(deployment().spec.template.spec)).toEqual([]);
    expect(deployment().spec.template.spec.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(container().securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it("apply no Secret: they are referenced, and an apply never overwrites them", () => {
    const { kustomization, objects } = kustomizeResources(dir());
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(kustomization.secretGenerator).toBeUndefined();
    const secretVolumes = (deployment().spec.template.spec.volumes as Yaml[]).filter((v) => v.secret);
    expect(secretVolumes.length).toBeGreaterThanOrEqual(2);
  });

  it("mount routing keys and secrets as folders (no subPath), so a rotated key is read without a restart", () => {
    for (const m of container().volumeMounts as Yaml[]) expect(m.subPath, m.name).toBeUndefined();
    const keys = mountOf(env("WK_ROUTING_KEYS_FILE")!)!;
    expect(volume(keys.name).secret.secretName).toBe("watchkeeper-routing-keys");
    expect(path.posix.basename(env("WK_ROUTING_KEYS_FILE")!)).toBe("routing-keys.json");
    const secrets = mountOf(env("WK_SECRETS_DIR")!)!;
    expect(secrets.mountPath).toBe(env("WK_SECRETS_DIR"));
    expect(volume(secrets.name).secret).toBeDefined();
  });

  it("keep the state folder on a PersistentVolumeClaim, one runtime at a time", () => {
    const { objects } = kustomizeResources(dir());
    const state = mountOf(flag(runtimeCommand(), "--state")!)!;
    expect(state.mountPath).toBe(flag(runtimeCommand(), "--state"));
    const claim = volume(state.name).persistentVolumeClaim.claimName;
    expect(objects.some((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === claim)).toBe(true);
    expect(deployment().spec.replicas).toBe(1);
    expect(deployment().spec.strategy.type).toBe("Recreate");
  });

  it("let Prometheus scrape /metrics on the runtime's port", () => {
    const port = Number(flag(runtimeCommand(), "--port"));
    const annotations = deployment().spec.template.metadata.annotations as Yaml;
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(Number(annotations["prometheus.io/port"])).toBe(port);
    expect(annotations["prometheus.io/path"]).toBe("/metrics");
    expect((container().ports as Yaml[]).find((p) => p.name === "http")!.containerPort).toBe(port);
    const monitor = parse(readFileSync(path.join(dir(), "servicemonitor.yaml"), "utf8")) as Yaml;
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
  });

  it("build with kubectl kustomize, the image set by the kustomization", () => {
    const cli = kubectl();
    const { kustomization } = kustomizeResources(dir());
    expect((kustomization.images as Yaml[]).map((i) => i.name)).toContain(container().image);
    if (cli === null) {
      console.warn("kubectl is not on PATH: `kubectl kustomize` was skipped (the YAML checks above still ran)");
      return;
    }
    const built = parseAllDocuments(execFileSync(cli, ["kustomize", dir()], { encoding: "utf8" })).map((d) => d.toJS() as Yaml);
    expect(built.map((o) => o.kind).sort()).toEqual(["Deployment", "PersistentVolumeClaim", "Service"]);
  });
});

describe("the deploy workflow's release overlay", () => {
  it("pins the pushed image on the scaffold's manifests (kubectl kustomize)", async () => {
    const cli = kubectl();
    if (cli === null) {
      console.warn("kubectl is not on PATH: the release overlay was not built");
      return;
    }
    const run = steps(workflows(scaffold).get("deploy.yml")!).map((s) => String(s.run ?? "")).find((r) => r.includes("<<YAML"))!;
    const overlayDir = /mkdir -p (\S+)/.exec(run)![1]!;
    const body = /<<YAML\n([\s\S]*?)\nYAML/.exec(run)![1]!;
    const vars: Record<string, string> = { NAMESPACE: "monitoring", IMAGE: "ghcr.io/acme/my-monitors", GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567" };
    await mkdir(path.join(scaffold, overlayDir), { recursive: true });
    await writeFile(path.join(scaffold, overlayDir, "kustomization.yaml"), body.replace(/\$\{(\w+)\}/g, (_, n: string) => vars[n]!));
    const built = parseAllDocuments(execFileSync(cli, ["kustomize", path.join(scaffold, overlayDir)], { encoding: "utf8" })).map((d) => d.toJS() as Yaml);
    const dep = built.find((o) => o.kind === "Deployment")!;
    expect(dep.metadata.namespace).toBe("monitoring");
    expect(dep.spec.template.spec.containers[0].image).toBe(`${vars.IMAGE}:${vars.GITHUB_SHA}`);
    expect(existsSync(path.join(scaffold, overlayDir))).toBe(true);
    expect((await readdir(path.join(scaffold, overlayDir))).length).toBe(1);
  });
});

describe("the restricted Pod Security check itself", () => {
  it("flags a host path, a missing seccomp profile and privilege escalation", () => {
    const pod = {
      volumes: [{ name: "host", hostPath: { path: "/var" } }],
      containers: [{ name: "c", securityContext: { runAsNonRoot: true, capabilities: { drop: ["ALL"] } } }],
    };
    expect(restrictedViolations(pod)).toEqual([
      "volume host is hostPath",
      "c: allowPrivilegeEscalation is not false",
      "c: seccompProfile is unset",
    ]);
  });
});
