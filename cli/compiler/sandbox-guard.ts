/**
 * A module calling `process.exit()` or hooking the process while it loads is refused with an
 * error thrown at the call, so the diagnostic points at the line that did it. This is a courtesy
 * for good diagnostics, not the boundary: the child process and the parent's verdict are (a module
 * that gets around it only ends or hangs its own disposable process).
 */
export class SandboxViolation extends Error {
  constructor(readonly what: string) {
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
