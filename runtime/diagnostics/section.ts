/** One diagnostic's output: a title line, readable lines, and the same facts as data. */
export interface DiagnosticSection {
  kind: "dns" | "httpSweep" | "hostLoad";
  title: string;
  /** False when the diagnostic itself found a problem or could not run. */
  ok: boolean;
  lines: string[];
  data: Record<string, unknown>;
}

/** What every diagnostic receives: the alert's time and the signal that bounds the whole run. */
export interface DiagnosticContext {
  now: Date;
  signal: AbortSignal;
}
