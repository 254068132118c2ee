import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import type { CheckResult, MonitorCode, ScriptContext, TimeWindow } from "../../sdk/result.js";
import { CODE_EXPORTS } from "../artifact.js";
import { CheckError } from "../checks/check-error.js";
import { labelId } from "../evaluate/observe.js";
import { CodeHostError, type CodeHost } from "./code-host.js";

/** A monitor's code as the runtime calls it when it runs in the code worker. */
export interface HostedCode {
  /** `run` and `extract` answer asynchronously; checks await them. */
  code: MonitorCode;
  /**
   * Calls the condition and summary functions for these results in the worker and answers with a
   * MonitorCode whose functions return those answers at once, so judging stays synchronous.
   */
  prepare(results: CheckResult[], vanished: CheckResult[]): Promise<MonitorCode>;
}

/**
 * Wraps a monitor's exports so every call goes to the code worker. `secrets` gives the declared
 * secrets' values for a script's `secret(name)`.
 */
export function hostedCode(host: CodeHost, monitor: MonitorSpec, local: MonitorCode, secrets: () => Record<string, string>): HostedCode {
  const id = monitor.id;
  const code: MonitorCode = {};
  if (local.run) {
    const timeoutMs = monitor.check.kind === "script" ? durationMs(monitor.check.timeout) : 0;
    code.run = (ctx: ScriptContext) =>
      host.call(id, "run", [{ now: ctx.now }], { timeoutMs, secrets: secrets(), signal: ctx.signal }).catch(stoppedAs("script", id)) as never;
  }
  if (local.extract) {
    code.extract = ((body: unknown, window: TimeWindow) => host.call(id, "extract", [body, window]).catch(stoppedAs("extract", id))) as never;
  }
  const wantCondition = typeof local.condition === "function";
  const wantSummary = typeof local.summary === "function";
  const context = { monitorId: id, name: monitor.name, severity: monitor.severity };
  return {
    code,
    async prepare(results, vanished) {
      if (!wantCondition && !wantSummary) return code;
      const answers = new Map<string, { condition?: Settled; summary?: Settled }>();
      // As in the runtime's own thread: the condition judges what the check returned; a label set
      // no longer returned is ok without asking it, and only its summary is written.
      const ask = async (result: CheckResult, judged: boolean) => {
        const [condition, summary] = await Promise.all([
          wantCondition && judged ? settle(host.call(id, "condition", [result])) : undefined,
          wantSummary ? settle(host.call(id, "summary", [result, context])) : undefined,
        ]);
        answers.set(labelId(result.labels), { condition, summary });
      };
      await Promise.all([...results.map((r) => ask(r, true)), ...vanished.map((r) => ask(r, false))]);
      const answer = (result: CheckResult, fn: "condition" | "summary"): unknown => {
        const settled = answers.get(labelId(result.labels))?.[fn];
        if (!settled) throw new CodeHostError(`had no answer for this result`);
        if (!settled.ok) throw settled.error;
        return settled.value;
      };
      const prepared: MonitorCode = { ...code };
      if (wantCondition) prepared.condition = (result) => answer(result, "condition") === true;
      if (wantSummary) prepared.summary = (result) => String(answer(result, "summary"));
      return prepared;
    },
  };
}

type Settled = { ok: true; value: unknown } | { ok: false; error: Error };

function settle(p: Promise<unknown>): Promise<Settled> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error : new Error(String(error)) }),
  );
}

/** A call the host stopped or held back is the code's failure, said as such (not "threw"). */
function stoppedAs(what: "script" | "extract", monitorId: string) {
  return (error: unknown): never => {
    if (error instanceof CodeHostError) throw new CheckError("code", `${what} of ${monitorId} ${error.message}`);
    throw error;
  };
}

/** Whether a monitor's exports hold any function the runtime calls. */
export function hasFunctions(code: MonitorCode | undefined): boolean {
  return code !== undefined && CODE_EXPORTS.some((name) => typeof code[name] === "function");
}
