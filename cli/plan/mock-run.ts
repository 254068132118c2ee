import * as pulumi from "@pulumi/pulumi";
// Pulumi's promise bookkeeping (not part of its public API; see withoutDebugBookkeeping).
import debuggable from "@pulumi/pulumi/runtime/debuggable.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { declareOnCall, type OnCallStack } from "../../infra/program/oncall.js";
import { getUserToken, resourceType } from "../../infra/program/names.js";

/** One resource as the Pulumi engine would receive it: type token, logical name, resolved inputs. */
export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Earlier logical names (Pulumi aliases): the resource moves from one of them instead of being created. */
  aliases?: string[];
  /** The PagerDuty id the resource adopts (Pulumi's `import` option) instead of creating an object. */
  importId?: string;
}

/** What a mock run yields: the registered resources and the stack outputs, secrets still wrapped. */
export interface MockRun {
  resources: RegisteredResource[];
  outputs: OnCallStack["outputs"];
}

/** Stand-in integration key: a real key only exists after `wk deploy` and never enters the plan. */
export const MOCK_INTEGRATION_KEY = "mock-integration-key";

/**
 * Runs the infra program under Pulumi's mocks and records every registered resource's inputs.
 * Mock ids are the logical names, so a reference reads as `escalation-policy:primary` in a diff.
 * Runs must not overlap: Pulumi's mock monitor is process-wide.
 */
export async function runUnderMocks(manifest: Manifest, integrationKey: string = MOCK_INTEGRATION_KEY): Promise<MockRun> {
  return withoutDebugBookkeeping(() => register(manifest, integrationKey));
}

/**
 * Pulumi records, for every resource, the stack of the program that declared it (its source
 * position for the engine), and for every internal promise a label, a stack trace and a place in
 * the set of possibly leaked promises it reports when the process exits. Under mocks nobody reads
 * any of it, and it was a quarter of a mock run's time, most of it garbage: for the length of a run
 * resources get no stack, and promises are left as they are. The leak report would also have
 * ended the CLI with exit code 1 for a promise a mock left pending.
 */
export async function withoutDebugBookkeeping<T>(run: () => Promise<T>): Promise<T> {
  const stackTraceLimit = Error.stackTraceLimit;
  const resource = pulumi.Resource as unknown as { stackTrace: (skip: number) => unknown[] };
  const promises = debuggable as unknown as { debuggablePromise: <P>(p: Promise<P>, ctx: unknown) => Promise<P> };
  const [stackTrace, debuggablePromise] = [resource.stackTrace, promises.debuggablePromise];
  Error.stackTraceLimit = 0;
  resource.stackTrace = () => [];
  promises.debuggablePromise = (p) => p;
  try {
    return await run();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    resource.stackTrace = stackTrace;
    promises.debuggablePromise = debuggablePromise;
  }
}

async function register(manifest: Manifest, integrationKey: string): Promise<MockRun> {
  const registered: RegisteredResource[] = [];
  const aliases = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const entry: RegisteredResource = { type: args.type, name: args.name, inputs: { ...(args.inputs as Record<string, unknown>) } };
        const names = aliases.get(`${args.type}::${args.name}`);
        if (names) entry.aliases = names;
        if (args.id) entry.importId = args.id;
        registered.push(entry);
        const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
        if (args.type === resourceType.serviceIntegration) state["integrationKey"] = integrationKey;
        return { id: args.name, state };
      },
      call(args) {
        if (args.token === getUserToken) {
          const email = String((args.inputs as { email: unknown }).email);
          return { id: `existing-user:${email}`, email, name: email };
        }
        throw new Error(`unexpected provider call ${args.token} under mocks`);
      },
    },
    "watchkeeper",
    "plan",
    false,
  );
  recordAliases(aliases);
  const stack = declareOnCall(manifest);
  // Registration is asynchronous; a resource's id resolves once the mock monitor has recorded it.
  await Promise.all(stack.resources.map((r) => settle(r)));
  registered.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type.localeCompare(b.type)));
  return { resources: registered, outputs: stack.outputs };
}

/**
 * Pulumi's mocks hand `newResource` the inputs and the import id but not the aliases, which the
 * plan needs to show a move; they are read from the registration request before it reaches the mocks.
 */
function recordAliases(into: Map<string, string[]>): void {
  type Alias = { getUrn(): string; getSpec(): { getName(): string } | undefined };
  type Request = { getType(): string; getName(): string; getAliasesList(): Alias[] };
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Request, callback: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const names = req
      .getAliasesList()
      .map((alias) => alias.getSpec()?.getName() || alias.getUrn().split("::").pop() || "")
      .filter((name) => name !== "");
    if (names.length > 0) into.set(`${req.getType()}::${req.getName()}`, names);
    return register(req, callback);
  };
}

function settle(resource: pulumi.Resource): Promise<unknown> {
  const output = resource instanceof pulumi.CustomResource ? resource.id : resource.urn;
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}
