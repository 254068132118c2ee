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
const NO_FILES = "cannot write files (the compile is pure: it writes the artifact, nothing else does)";

/**
 * Refuses the network (TCP, TLS, HTTP, fetch, WebSocket, UDP, DNS, and the native handles behind
 * them), what names the host (its name, network interfaces, user, diagnostic reports; the
 * permission model already refuses `process.binding`), and the diagnostics that write files (V8's
 * flags, heap snapshots, trace events). Node's permission model before Node 25 restricts none of
 * them: a pull request's module could otherwise send the CI host's name and addresses out, reach
 * a cloud metadata service, or write where it liked, while `wk plan` loads it. The functions are
 * replaced on the shared module objects and prototypes (and ESM bindings synced) before any of
 * the project runs, so a module's `import { connect } from "node:net"` gets the refusing one,
 * and the originals are out of its reach.
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
  for (const [handle, names] of nativeHandles(require)) replace(handle, names, `${handle.constructor.name}.`, NO_NETWORK);

  replace(require("node:os") as object, ["hostname", "networkInterfaces", "userInfo", "homedir"], "os.", NO_HOST);
  // Files V8 and Node's diagnostics write for themselves, where the permission model does not
  // look: `--trace-turbo` with its path and file prefix (a prefix that fills the name's 256
  // characters loses its suffix) wrote any file a module named, a heap snapshot near the heap
  // limit and a trace of events write to the working folder, the project.
  replace(require("node:v8") as object, ["setFlagsFromString", "setHeapSnapshotNearHeapLimit"], "v8.", NO_FILES);
  replace(require("node:trace_events") as object, ["createTracing"], "trace_events.", NO_FILES);
  Object.defineProperty(process, "report", { configurable: false, enumerable: true, get: refuse("process.report", NO_HOST) });
  syncBuiltinESMExports();
}

/**
 * The prototypes of the native handles behind sockets, with the methods that reach the network.
 * The functions above are only the documented way in: a socket's handle connects, binds and sends
 * by itself (`new tls.TLSSocket()._handle._parent` is a TCP handle, or a pipe's with `{ pipe: true }`,
 * `new dgram.Socket()` holds a UDP handle, a resolver holds c-ares's channel), given any object with
 * native slots as its request, another handle included. A module reached the cloud's metadata
 * service that way, a Docker daemon's socket, or any DNS server. Every handle of a kind shares its
 * prototype, so refusing there covers the ones a module makes later (`new tcp.constructor()`) and
 * those Node makes for it (`new net.Socket({ fd })` opens one). The process's own pipes (its
 * output, the channel to the compiler) are open before, and only read and write from then on.
 */
function nativeHandles(require: NodeRequire): [object, string[]][] {
  const tls = require("node:tls") as typeof import("node:tls");
  const dgram = require("node:dgram") as typeof import("node:dgram");
  const dns = require("node:dns") as typeof import("node:dns");
  // Node opens its output pipes when first used: opened here, before a pipe's `open` is refused.
  void process.stdout;
  void process.stderr;
  const found: [object, string[]][] = [];
  const prototypeOf = (handle: unknown, names: string[]) => {
    if (handle !== null && typeof handle === "object") found.push([Object.getPrototypeOf(handle) as object, names]);
  };
  const tcp = new tls.TLSSocket(null as never);
  const pipe = new tls.TLSSocket(null as never, { pipe: true } as never);
  prototypeOf((tcp as unknown as { _handle?: { _parent?: unknown } })._handle?._parent, ["open", "bind", "bind6", "listen", "connect", "connect6"]);
  prototypeOf((pipe as unknown as { _handle?: { _parent?: unknown } })._handle?._parent, ["open", "bind", "listen", "connect"]);
  tcp.destroy();
  pipe.destroy();
  const udp = new (dgram.Socket as unknown as new (type: string) => import("node:dgram").Socket)("udp4");
  const state = Object.getOwnPropertySymbols(udp).find((s) => s.description === "state symbol");
  prototypeOf(state ? (udp as unknown as Record<symbol, { handle?: unknown } | undefined>)[state]?.handle : null, ["open", "bind", "bind6", "connect", "connect6", "send", "send6"]);
  udp.close();
  const channel = (new dns.Resolver() as unknown as { _handle?: object })._handle;
  if (channel) {
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(channel)).filter((name) => name.startsWith("query") || name === "getHostByAddr");
    prototypeOf(channel, methods);
  }
  return found;
}
