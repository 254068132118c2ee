import { isConstruct } from "../../sdk/index.js";

/** An exported value in a monitors/policies module that the compiler would silently ignore. */
export interface ExportProblem {
  /** Export name (`default` for the default export), with `[i]` for an array element. */
  name: string;
  message: string;
  hint: string;
}

const CHECK_KINDS = new Set(["http", "httpWindow", "prometheus", "dns", "tcp", "heartbeat", "webhook", "script", "manual", "httpSweep", "hostLoad"]);
const DEFINITION_KEYS: [string, string][] = [
  ["schedule", "monitor"],
  ["check", "monitor"],
  ["escalationPolicy", "service"],
  ["layers", "schedule"],
  ["rules", "escalationPolicy"],
  ["email", "user"],
  ["members", "team"],
  ["routingKey", "channel"],
  ["webhookUrl", "channel"],
];

/**
 * Finds exports that look like definitions but are not constructs: a check without its monitor,
 * a plain object written by hand, a config in the wrong file, a default export of the wrong kind.
 * Helper functions and constants are allowed; they are not definitions.
 */
export function exportProblems(namespace: Record<string, unknown>): ExportProblem[] {
  const problems: ExportProblem[] = [];
  for (const [name, value] of Object.entries(namespace)) {
    if (name === "default") {
      if (!isConstructOrCollection(value)) {
        problems.push(describe(name, value) ?? {
          name,
          message: `the default export is ${kindOf(value)}, not a construct`,
          hint: "export constructs made with the SDK factories (monitor(), service(), schedule(), ...), or remove the default export",
        });
      }
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const problem = describe(`${name}[${i}]`, item);
        if (problem) problems.push(problem);
      });
      continue;
    }
    const problem = describe(name, value);
    if (problem) problems.push(problem);
  }
  return problems;
}

function describe(name: string, value: unknown): ExportProblem | null {
  if (value === null || typeof value !== "object" || isConstruct(value) || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  if (value instanceof Promise || typeof record.then === "function") {
    const base = name.replace(/\[\d+\]$/, "");
    return {
      name,
      message: `\`${name}\` is a Promise (an async function's result), not a construct; the compiler does not wait for it`,
      hint: `await it: \`${base === "default" ? "export default" : `export const ${base} =`} await make(...)\` (modules may use top-level await), or make the function that builds it synchronous`,
    };
  }
  if (typeof record.kind === "string" && CHECK_KINDS.has(record.kind) && typeof record.id !== "string") {
    return {
      name,
      message: `\`${name}\` is ${/^(?:http|[aeiou])/i.test(record.kind) ? "an" : "a"} ${record.kind} check (or diagnostic), not a monitor`,
      hint: "wrap it in a monitor: `monitor({ id, schedule, check: ... })`, and export the monitor",
    };
  }
  if (typeof record.name === "string" && ("monitors" in record || "policies" in record || "secrets" in record || "rules" in record) && !("id" in record)) {
    return {
      name,
      message: `\`${name}\` looks like a project config`,
      hint: "the project config belongs in watchkeeper.config.ts as its default export",
    };
  }
  if (typeof record.id === "string") {
    const guess = DEFINITION_KEYS.find(([key]) => key in record)?.[1];
    if (guess) {
      return {
        name,
        message: `\`${name}\` is a plain object that looks like a ${guess} definition; the compiler ignores it`,
        hint: `create it with the SDK factory: \`${guess}({ ... })\` from "watchkeeper"`,
      };
    }
  }
  return null;
}

function isConstructOrCollection(value: unknown): boolean {
  if (isConstruct(value)) return true;
  if (Array.isArray(value)) return value.length > 0 && value.every(isConstruct);
  if (value !== null && typeof value === "object") {
    const values = Object.values(value);
    return values.length > 0 && values.every(isConstruct);
  }
  return false;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array of other values";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "a plain object";
  return `a ${typeof value}`;
}

/** 1-based line where `name` is exported in `source` (1 when it cannot be found). */
export function exportLine(source: string, name: string): number {
  const base = name.replace(/\[\d+\]$/, "");
  const patterns =
    base === "default"
      ? [/\bexport\s+default\b/]
      : [
          new RegExp(`\\bexport\\s+(?:declare\\s+)?(?:const|let|var|async\\s+function\\*?|function\\*?|class)\\s+${base}\\b`),
          new RegExp(`\\bexport\\s*\\{[^}]*\\b${base}\\b`),
        ];
  const lines = source.split("\n");
  for (const pattern of patterns) {
    const index = lines.findIndex((l) => pattern.test(l));
    if (index >= 0) return index + 1;
  }
  return 1;
}
