/**
 * The body of the worker thread that runs the project's code (conditions, summaries, extract and
 * script functions from `monitors.mjs`). It is started from this function's source text (Worker
 * with `eval: true`), so it must not use anything from outside its own body. What it needs (the
 * bundle's `import()`, `require`d modules) is passed in by the few lines that start it
 * (code-host.ts): a bundler or a test runner rewrites `import()` and `require` in the functions it
 * transforms, and the rewritten names do not exist in the worker.
 *
 * Messages in:  { t: "call", id, monitorId, fn, args, timeoutMs?, secrets? } and { t: "abort", id }.
 * Messages out: { t: "ready", exports } once the bundle is loaded, { t: "done", id, ok, value } or
 *               { t: "done", id, ok: false, error } per call, { t: "failed", error } when the bundle
 *               cannot be loaded, and { t: "stray", error } for an error no call caught.
 *
 * The shared slot tells the runtime how this thread is: slot[0] is the id of the call whose code is
 * running (0 when none, OUTSIDE_CALLS for a callback no call started: a promise, socket or timer
 * the bundle set going when it loaded), slot[1] a heartbeat counted every few milliseconds by a
 * timer. A heartbeat that stands still for the stall limit is a thread held by code that does not
 * return (an endless loop); the runtime ends the thread, and slot[0] says whose code it was. The
 * slot is taken out of `workerData` before the bundle loads, so the project's code cannot reach it
 * to write either number. Timers the bundle sets while it loads are cancelled once it has loaded:
 * the compiler never runs them either, and code runs only in a monitor's functions.
 */
export function codeWorkerMain(
  load: (url: string, sha256: string | null) => Promise<{ default?: unknown }>,
  threads: typeof import("node:worker_threads"),
  hooks: typeof import("node:async_hooks"),
): void {
  const { parentPort, workerData } = threads;
  const { AsyncLocalStorage, createHook } = hooks;
  const port = parentPort!;
  const data = workerData as { url: string; sha256: string | null; shared?: SharedArrayBuffer; textMax: number; heartbeatMs: number };
  const slot = new Int32Array(data.shared!);
  // The bundle can import node:worker_threads and read workerData: the slot is not left there.
  delete data.shared;
  /** slot[0] while a callback that no call started runs (code-host.ts reads it as "outside any call"). */
  const OUTSIDE_CALLS = -1;
  // Taken before the project's code loads, so code that replaces Atomics' methods cannot silence the marks.
  const { store, add } = Atomics;
  const running = new AsyncLocalStorage<number>();
  // Continuations of a script (after an await) run from the event loop: the hook marks whose they are.
  const stack: number[] = [];
  const enter = (id: number) => {
    stack.push(id);
    store(slot, 0, id);
  };
  const leave = () => {
    stack.pop();
    store(slot, 0, stack.length > 0 ? stack[stack.length - 1]! : 0);
  };
  setInterval(() => add(slot, 1, 1), data.heartbeatMs);
  /** Timers and immediates the bundle set outside any call while it loaded; cancelled once it has. */
  let loadTimers: { immediate: boolean; resource: object }[] | null = null;
  createHook({
    init(_asyncId, type, _trigger, resource) {
      if (loadTimers !== null && (type === "Timeout" || type === "Immediate") && running.getStore() === undefined) loadTimers.push({ immediate: type === "Immediate", resource });
    },
    before() {
      enter(running.getStore() ?? OUTSIDE_CALLS);
    },
    after() {
      leave();
    },
  }).enable();

  const describe = (error: unknown): string => {
    try {
      const text = error instanceof Error ? error.message : String(error);
      return text.length > data.textMax ? text.slice(0, data.textMax) : text;
    } catch {
      return "a value that cannot be shown";
    }
  };
  const send = (message: Record<string, unknown>) => {
    try {
      port.postMessage(message);
    } catch (error) {
      // A value that cannot be copied between threads (a function, a Proxy, a class instance with private state).
      port.postMessage({ t: "done", id: message.id, ok: false, error: `returned something that cannot be copied out of the code: ${describe(error)}` });
    }
  };
  // An error no call caught (a throw from a timer the code set) is reported, and the thread goes on.
  // It is read while the callback that threw is still marked (its `after` never comes): a thrown
  // value's getters or toString that loop are that callback's owner's. Node drops its stack of
  // callbacks after an uncaught error, and the marks follow.
  const stray = (error: unknown) => {
    const text = describe(error);
    stack.length = 0;
    store(slot, 0, 0);
    send({ t: "stray", error: text });
  };
  process.on("uncaughtException", stray);
  process.on("unhandledRejection", stray);

  // What a script or an extract returns, made copyable between threads the way JSON.stringify
  // sees it: toJSON honoured, functions and symbols dropped. Cycles are kept (the copy holds them)
  // and BigInts pass as they are: the runtime's own normalising (json-details.ts) takes it from there.
  const DEEPEST = 64;
  const plain = (value: unknown, seen: Map<object, unknown>, depth: number): unknown => {
    if (typeof value === "function" || typeof value === "symbol") return undefined;
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value)) return seen.get(value);
    if (depth >= DEEPEST) return "[too deep]";
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      let own: unknown;
      try {
        own = toJSON.call(value);
      } catch {
        return "[not serialisable]";
      }
      if (own !== value) return plain(own, seen, depth + 1);
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(plain(item, seen, depth + 1));
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [key, item] of Object.entries(value)) {
      const copy = plain(item, seen, depth + 1);
      if (copy !== undefined) out[key] = copy;
    }
    return out;
  };

  const returned = (fn: string, value: unknown): unknown => {
    if (fn === "condition") return value === true;
    if (fn === "summary") {
      const text = String(value);
      return text.length > data.textMax ? text.slice(0, data.textMax) : text;
    }
    return plain(value, new Map(), 0);
  };

  const aborts = new Map<number, AbortController>();

  type Code = Record<string, ((...args: unknown[]) => unknown) | undefined>;
  const call = async (bundle: Record<string, Code | undefined>, m: { id: number; monitorId: string; fn: string; args: unknown[]; timeoutMs?: number; secrets?: Record<string, string> }) => {
    const code = Object.hasOwn(bundle, m.monitorId) ? bundle[m.monitorId] : undefined;
    const fn = code && Object.hasOwn(code, m.fn) ? code[m.fn] : undefined;
    if (typeof fn !== "function") return send({ t: "done", id: m.id, ok: false, error: `monitors.mjs has no ${m.fn} export for monitor ${m.monitorId}` });
    let args = m.args;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (m.fn === "run") {
      const controller = new AbortController();
      aborts.set(m.id, controller);
      timer = setTimeout(() => controller.abort(new Error(`the script ran past its timeout of ${m.timeoutMs} ms`)), m.timeoutMs ?? 0);
      const secrets = m.secrets ?? {};
      const ctx = args[0] as { now: Date };
      args = [{ now: ctx.now, signal: controller.signal, secret: (name: string) => (Object.hasOwn(secrets, name) ? secrets[name] : undefined) }];
    }
    try {
      // Everything that runs the project's code (the call, and reading what it returned: getters,
      // toJSON, toString) is marked as that call's.
      enter(m.id);
      let value: unknown;
      try {
        value = fn(...args);
        if (m.fn !== "run") value = returned(m.fn, value);
      } finally {
        leave();
      }
      if (m.fn === "run") {
        value = await value;
        enter(m.id);
        try {
          value = returned(m.fn, value);
        } finally {
          leave();
        }
      }
      send({ t: "done", id: m.id, ok: true, value });
    } catch (error) {
      // Reading what was thrown (a getter, toString) runs the project's code too.
      enter(m.id);
      let text: string;
      try {
        text = describe(error);
      } finally {
        leave();
      }
      send({ t: "done", id: m.id, ok: false, error: text });
    } finally {
      if (timer) clearTimeout(timer);
      aborts.delete(m.id);
    }
  };

  loadTimers = [];
  load(data.url, data.sha256).then(
    (mod: { default?: unknown }) => {
      const cancelled = loadTimers?.length ?? 0;
      for (const { immediate, resource } of loadTimers ?? []) {
        if (immediate) clearImmediate(resource as ReturnType<typeof setImmediate>);
        else clearTimeout(resource as ReturnType<typeof setTimeout>);
      }
      loadTimers = null;
      const bundle = (mod.default ?? {}) as Record<string, Code | undefined>;
      port.on("message", (m: { t: string; id: number; monitorId: string; fn: string; args: unknown[] }) => {
        if (m.t === "abort") return aborts.get(m.id)?.abort(new Error("the check was stopped"));
        if (m.t === "call") void running.run(m.id, () => call(bundle, m));
      });
      // Which of the functions the runtime calls each monitor exports: the runtime's thread never imports the bundle.
      const exports: Record<string, string[]> = {};
      for (const [id, code] of Object.entries(bundle)) {
        if (code && typeof code === "object") exports[id] = ["condition", "summary", "run", "extract"].filter((name) => typeof code[name] === "function");
      }
      send({ t: "ready", exports, cancelledTimers: cancelled });
    },
    (error: unknown) => send({ t: "failed", error: describe(error) }),
  );
}

/**
 * Throws unless the bundle's bytes are the ones the manifest sealed: the runtime checked the seal
 * at start, but a worker started later (after a stall, an exit, a failed load) reads the file
 * again, and a monitors.mjs changed on disk since (a compile into the same folder, half a deploy)
 * would run under the manifest this runtime started with. Like `codeWorkerMain`, it is sent to the
 * worker as source, so it gets what it needs as arguments; the import itself stays in that source
 * (code-host.ts), where no transform of this module can reach it.
 */
export function checkSeal(url: string, sha256: string | null, fs: typeof import("node:fs"), crypto: typeof import("node:crypto")): void {
  if (sha256 === null) return;
  const actual = crypto.createHash("sha256").update(fs.readFileSync(new URL(url))).digest("hex");
  if (actual !== sha256) {
    throw new Error(
      `monitors.mjs changed on disk since this runtime started (its sha256 is ${actual}, the manifest it runs records ${sha256}); ` +
        "restart the runtime on both files of one `wk compile`, or put back the monitors.mjs it started with",
    );
  }
}
