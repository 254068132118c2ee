import { parseDuration } from "../../sdk/duration.js";
import { diagnostic } from "./diagnostic.js";
import { DEFAULT_LOAD_TIMEOUT_MS, SANDBOX_MEMORY_MB, type SandboxOutcome } from "./sandbox.js";
import type { LoadResult } from "./sandbox-protocol.js";
import type { Diagnostic } from "./types.js";

/**
 * The parent's verdict on a load: only a well-formed answer from the child counts. A child that
 * ends (with any code, 0 included), hangs or answers garbage is an error at the module that was
 * loading, never a success.
 */
export function sandboxVerdict<R = LoadResult>(outcome: SandboxOutcome<R>, timeoutMs: number): { result: R | null; diagnostics: Diagnostic[] } {
  if (outcome.kind === "result") return { result: outcome.result, diagnostics: [] };
  const at = outcome.loading ? { file: outcome.loading, line: 1, column: 1 } : {};
  const who = outcome.loading ?? "the project";
  const said = outcome.output ? `; its output ended with: ${outcome.output.slice(-600)}` : "";
  switch (outcome.kind) {
    case "timeout":
      return {
        result: null,
        diagnostics: [
          diagnostic(
            "error",
            "WK2006",
            `loading did not finish within ${formatMs(timeoutMs)}: ${who} was still running (an endless loop, or an await that never settles)${said}`,
            "a module's top level must finish on its own; if the project truly needs longer, raise `load.timeout` in watchkeeper.config.ts",
            at,
          ),
        ],
      };
    case "memory":
      return {
        result: null,
        diagnostics: [
          diagnostic(
            "error",
            "WK2006",
            `loading used more than ${SANDBOX_MEMORY_MB / 1024} GiB of memory and was stopped: ${who} was running${said}`,
            "a module's top level only defines monitors and policy; look for a loop that keeps allocating (arrays, buffers, strings)",
            at,
          ),
        ],
      };
    case "ended": {
      // Code 0 with no answer: the loader had nothing left to run, so a module awaits something
      // that can never settle (or ended the process quietly).
      const how = outcome.signal ? `signal ${outcome.signal}` : outcome.code === 0 ? "exit code 0: an await that never settles, or a quiet exit" : `exit code ${outcome.code ?? "unknown"}`;
      return {
        result: null,
        diagnostics: [
          diagnostic(
            "error",
            "WK2006",
            `the module loader ended (${how}) while ${who} was loading, without a result${said}`,
            "a module ended or crashed the loading process; modules only define monitors and policy and must not end the process",
            at,
          ),
        ],
      };
    }
    case "unreadable":
      return {
        result: null,
        diagnostics: [
          diagnostic("error", "WK2006", `the module loader answered with something that is not a load result while ${who} was loading`, "a module interferes with the loader; modules must not send messages or patch the process", at),
        ],
      };
  }
}

/** The load time limit: an override (WK_LOAD_TIMEOUT) first, then the config's `load.timeout`, then 30 s. */
export function loadTimeout(configured: unknown, override: number | undefined): { ms: number; diagnostics: Diagnostic[] } {
  if (override !== undefined) return { ms: override, diagnostics: [] };
  if (configured === undefined) return { ms: DEFAULT_LOAD_TIMEOUT_MS, diagnostics: [] };
  const ms = typeof configured === "string" ? parseDuration(configured) : undefined;
  if (ms !== undefined && ms > 0) return { ms, diagnostics: [] };
  return {
    ms: DEFAULT_LOAD_TIMEOUT_MS,
    diagnostics: [
      diagnostic("error", "WK1002", `config load.timeout: expected a duration such as "30s", got ${JSON.stringify(configured)}`, 'write a duration such as "30s" or "2m"', {
        file: "watchkeeper.config.ts",
        line: 1,
      }),
    ],
  };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
