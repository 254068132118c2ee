import { createRequire, syncBuiltinESMExports } from "node:module";

/**
 * A module calling `process.exit()` or hooking the process while it loads is refused with an
 * error thrown at the call, so the diagnostic points at the line that did it. This is a courtesy
 * for good diagnostics, not the boundary: the child process and the parent's verdict are (a module
 * that gets around it only ends or hangs its own disposable process).
 */
export class SandboxViolation extends Error {
  constructor(
    readonly what: string,
    /** Why it is refused, said after "modules load in a disposable sandbox and". */
    readonly why = "cannot end or hook the compiler",
  ) {
    super(`${what} is not allowed while modules load`);
    this.name = "SandboxViolation";
  }
}

/** Process events whose listeners would outlive the module or change how the process ends. */
const PROCESS_EVENTS = new Set([
  "exit",
  "beforeExit",
  "uncaughtException",
  "uncaughtExceptionMonitor",
  "unhandledRejection",
  "rejectionHandled",
  "message",
  "disconnect",
]);

const guardedEvent = (event: unknown) => typeof event === "string" && (PROCESS_EVENTS.has(event) || event.startsWith("SIG"));

/** Replaces the process's exit and hook functions; the loader's own listeners are added before. */
export function guardProcess(): void {
  const refuse = (what: string) =>
    function refused(): never {
      throw new SandboxViolation(what);
    };
  const target = process as unknown as Record<string, unknown>;
  for (const name of ["exit", "reallyExit", "abort", "kill", "dlopen", "setUncaughtExceptionCaptureCallback", "chdir"]) {
    target[name] = refuse(`process.${name}()`);
  }
  for (const name of ["on", "once", "addListener", "prependListener", "prependOnceListener", "off", "removeListener", "removeAllListeners"]) {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = function guarded(this: unknown, event: unknown, ...rest: unknown[]) {
      if (guardedEvent(event) || (name === "removeAllListeners" && event === undefined)) throw new SandboxViolation(`process.${name}(${JSON.stringify(event)})`);
      return original.call(this, event, ...rest);
    };
  }
}

const NO_NETWORK = "cannot use the network (the compile is pure: what a module needs is in the project)";
const NO_HOST = "cannot read the host's name, addresses, user or reports";

/**
 * Refuses the network (TCP, TLS, HTTP, fetch, WebSocket, UDP, DNS) and what names the host (its
 * name, network interfaces, user, diagnostic reports; the permission model already refuses
 * `process.binding`). Node 20's permission model restricts neither: a pull request's module could
 * otherwise send the CI host's name and addresses out, or reach a cloud metadata service, while
 * `wk plan` loads it. Courtesy like the
 * rest: the functions are replaced on the shared module objects (and ESM bindings synced), so a
 * module's `import { connect } from "node:net"` gets the refusing one.
 */
export function guardHost(): void {
  const require = createRequire(import.meta.url);
  const refuse = (what: string, why: string) =>
    function refused(): never {
      throw new SandboxViolation(what, why);
    };
  const replace = (target: object, names: readonly string[], prefix: string, why: string) => {
    for (const name of names) {
      if (typeof (target as Record<string, unknown>)[name] === "function") (target as Record<string, unknown>)[name] = refuse(`${prefix}${name}()`, why);
    }
  };
  const net = require("node:net") as typeof import("node:net");
  replace(net, ["connect", "createConnection"], "net.", NO_NETWORK);
  replace(net.Socket.prototype, ["connect"], "socket.", NO_NETWORK);
  replace(net.Server.prototype, ["listen"], "server.", NO_NETWORK);
  replace(require("node:tls") as object, ["connect"], "tls.", NO_NETWORK);
  for (const name of ["node:http", "node:https"]) replace(require(name) as object, ["request", "get"], `${name.slice(5)}.`, NO_NETWORK);
  replace(require("node:http2") as object, ["connect"], "http2.", NO_NETWORK);
  const dgram = require("node:dgram") as typeof import("node:dgram");
  replace(dgram, ["createSocket"], "dgram.", NO_NETWORK);
  replace(dgram.Socket.prototype, ["bind", "connect", "send"], "socket.", NO_NETWORK);
  const dns = require("node:dns") as typeof import("node:dns");
  const lookups = ["lookup", "lookupService", "resolve", "resolve4", "resolve6", "resolveAny", "resolveCaa", "resolveCname", "resolveMx", "resolveNaptr", "resolveNs", "resolvePtr", "resolveSoa", "resolveSrv", "resolveTxt", "reverse"];
  for (const target of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) replace(target, lookups, "dns.", NO_NETWORK);
  const globals = globalThis as unknown as Record<string, unknown>;
  for (const name of ["fetch", "WebSocket", "EventSource"]) if (name in globals) globals[name] = refuse(name, NO_NETWORK);

  replace(require("node:os") as object, ["hostname", "networkInterfaces", "userInfo", "homedir"], "os.", NO_HOST);
  Object.defineProperty(process, "report", { configurable: false, enumerable: true, get: refuse("process.report", NO_HOST) });
  syncBuiltinESMExports();
}
