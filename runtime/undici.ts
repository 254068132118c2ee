import { createRequire } from "node:module";
import type * as Undici from "undici";

/**
 * The parts of undici the runtime uses, each loaded from its own file. undici's index also loads
 * fetch, WebSocket, EventSource, the cache stores, the mock agents and the cookie helpers on
 * import: 3.5 MB of V8 heap and about 7 MB of resident memory in a process that never uses them
 * (bench/results/runtime.md, "undici's parts"). undici has no `exports` map, so these files are
 * its public package paths; `undici.test.ts` checks that each is the very object the index
 * exports, so an upgrade that moves one fails a test instead of a check.
 */
const load = createRequire(import.meta.url);

export const Agent = load("undici/lib/dispatcher/agent.js") as typeof Undici.Agent;

export const getGlobalDispatcher = (load("undici/lib/global.js") as Pick<typeof Undici, "getGlobalDispatcher">).getGlobalDispatcher;

const { parseURL } = load("undici/lib/core/util.js") as { parseURL(url: string): URL };
const dispatcherRequest = load("undici/lib/api/api-request.js") as (
  this: Undici.Dispatcher,
  options: Undici.Dispatcher.RequestOptions,
) => Promise<Undici.Dispatcher.ResponseData>;

/** What `request` takes: undici's own request options, without origin and path (they come from the URL). */
export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, "origin" | "path" | "method"> & {
  method: Undici.Dispatcher.HttpMethod;
  dispatcher?: Undici.Dispatcher;
};

/**
 * undici's `request(url, options)`: the URL checked as undici checks it (http or https only), the
 * call sent through the global dispatcher unless another is given.
 */
export function request(url: string, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const parsed = parseURL(url);
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  return dispatcherRequest.call(dispatcher, { ...rest, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
