import type { Duration } from "../duration.js";

export type Diagnostic =
  | { readonly kind: "dns"; name: string; recordType?: string; resolver?: string }
  | { readonly kind: "httpSweep"; urls: string[]; timeout?: Duration }
  | { readonly kind: "hostLoad"; loadavgFile?: string; meminfoFile?: string };

/** Diagnostics run when an alert fires; their text is attached to the alert and to emails. */
export const diagnostic = {
  /** Resolve a name and report the answers. */
  dns: (props: { name: string; recordType?: string; resolver?: string }): Diagnostic =>
    Object.freeze({ kind: "dns", ...props }),
  /** GET every URL and report status and latency. */
  httpSweep: (props: { urls: string[]; timeout?: Duration }): Diagnostic => Object.freeze({ kind: "httpSweep", ...props }),
  /** Read host load and memory from files (default /proc/loadavg and /proc/meminfo). */
  hostLoad: (props: { loadavgFile?: string; meminfoFile?: string } = {}): Diagnostic =>
    Object.freeze({ kind: "hostLoad", ...props }),
};
