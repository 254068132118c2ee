import type { InputProblem, TestReport } from "./run-unit-tests.js";
import { visibleLine } from "../visible-text.js";

type Paint = { red(s: string): string; green(s: string): string; bold(s: string): string; dim(s: string): string };

/**
 * The text report: one line per test; for a failing one, its timeline with the expected and
 * actual columns side by side, each row at its expectation's file:line. Names, messages, labels and
 * notifications are the test modules' text: their controls are spelled out.
 */
export function renderReports(reports: TestReport[], problems: InputProblem[], pc: Paint): string {
  const out: string[] = [];
  for (const p of problems) {
    out.push(`${pc.red("error")} ${visibleLine(p.file ?? "(project)")}${p.line ? `:${p.line}` : ""}: ${visibleLine(p.message)}`);
    if (p.hint) out.push(`  hint: ${visibleLine(p.hint)}`);
  }
  for (const r of reports) {
    const mark = r.ok ? pc.green("PASS") : pc.red("FAIL");
    out.push(`${mark} ${visibleLine(r.name)} ${pc.dim(`(${visibleLine(r.file)}:${r.line}, ${r.ticks} evaluations, ${r.durationMs} ms)`)}`);
    if (!r.ok) out.push(...timeline(r, r.start, pc));
  }
  const passed = reports.filter((r) => r.ok).length;
  out.push("");
  out.push(`${reports.length} test${reports.length === 1 ? "" : "s"}: ${passed} passed, ${reports.length - passed} failed${problems.length > 0 ? `; ${problems.length} problem${problems.length === 1 ? "" : "s"} in the tests` : ""}`);
  return out.join("\n") + "\n";
}

function timeline(r: TestReport, start: number, pc: Paint): string[] {
  const cells = r.rows.map((row) => {
    const expected = [row.expected.alert + (row.expected.acknowledged === null ? "" : row.expected.acknowledged ? " (acked)" : " (not acked)")];
    const actual = [row.actual.alert + (row.expected.acknowledged === null ? "" : row.actual.acknowledged ? " (acked)" : " (not acked)")];
    if (row.expected.notifications !== null) {
      expected.push(...(row.expected.notifications.length ? row.expected.notifications : ["no notifications"]));
      actual.push(...(row.actual.notifications.length ? row.actual.notifications : ["no notifications"]));
    } else if (row.actual.notifications.length > 0) {
      actual.push(...row.actual.notifications);
    }
    return { row, expected: expected.map(visibleLine), actual: actual.map(visibleLine) };
  });
  const width = Math.max(8, ...cells.flatMap((c) => c.expected.map((l) => l.length)));
  const lines = [`    ${"at".padEnd(10)} ${"labels".padEnd(14)} ${"expected".padEnd(width)}   actual`];
  for (const { row, expected, actual } of cells) {
    const when = offset(row.at - start);
    const labels = Object.keys(row.labels).length === 0 ? "-" : visibleLine(Object.entries(row.labels).map(([k, v]) => `${k}=${v}`).join(","));
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const left = (expected[i] ?? "").padEnd(width);
      const right = actual[i] ?? "";
      const head = i === 0 ? `${row.ok ? " " : pc.red("x")}   ${when.padEnd(10)} ${labels.slice(0, 14).padEnd(14)}` : `    ${"".padEnd(10)} ${"".padEnd(14)}`;
      const where = i === 0 ? pc.dim(`  ${r.file}:${row.line}`) : "";
      lines.push(`${head} ${left}   ${row.ok ? right : pc.bold(right)}${where}`);
    }
  }
  return lines.map((l) => "  " + l);
}

/** `+5m`, `+1h30m`, `+45s` */
export function offset(ms: number): string {
  if (ms === 0) return "+0s";
  const parts: string[] = [];
  let left = Math.round(ms / 1000);
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return "+" + parts.join("");
}
