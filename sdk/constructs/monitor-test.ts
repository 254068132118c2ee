import type { Duration } from "../duration.js";
import type { ScriptOutcome } from "../result.js";
import type { Channel } from "./channels.js";
import type { Check } from "./checks.js";
import { SOURCE } from "./definition.js";
import type { Monitor } from "./monitor.js";
import type { Service } from "./oncall.js";

/**
 * Monitor unit tests (`wk test --unit`): check results fed at simulated times, and the alert
 * states and notifications expected back, per label set. Tests live in `*.wktest.ts` modules and
 * are never part of the manifest; the runner drives the runtime's own evaluation, alert state
 * machine and notification pipeline over them with a fake clock. See docs/unit-tests.md.
 */

/** A time in a test: an offset from `start` (`"+90s"`, `"+5m"`, `"+2m30s"`, `"+1h15m"`) or an ISO time with its zone. */
export type TestTime = `+${Duration}` | `+${number}${"d" | "h" | "m"}${Duration}` | `+${number}h${number}m${Duration}` | `${number}-${number}-${number}T${string}`;

/** What an HTTP target answers; the monitor's own expectations (status, latency, JSON, ...) judge it. */
export interface HttpAnswer {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body?: string | Record<string, unknown> | unknown[] | number | boolean | null;
  headers?: Record<string, string>;
  /** How long the answer takes (default 0ms). */
  latency?: Duration;
  /** When the TLS certificate expires (ISO time); checks with `tlsExpiryWithin` need it. */
  certificateExpires?: string;
}

/**
 * How a DNS server ends a query without records: NXDOMAIN (no such name), NODATA (no records of
 * this type), SERVFAIL, REFUSED, or TIMEOUT (no answer at all). NXDOMAIN, NODATA and SERVFAIL are
 * answers the check fails on; REFUSED and TIMEOUT leave it without a result (a check error).
 */
export type DnsRcode = "NXDOMAIN" | "NODATA" | "SERVFAIL" | "REFUSED" | "TIMEOUT";

/** What one DNS server answers: records as people write them (`10 mail.example.com` for MX), or an rcode. */
export type DnsServerAnswer = { answers: string[] } | { rcode: DnsRcode };

/**
 * A DNS step: what the resolver answers (the monitor's `expectValues` judge it) and, for a check
 * with `nameservers`, what each of them answers (one left out answers as the resolver does).
 * The older `{ ok, answers?, message? }` form gives the result directly, without the check.
 */
export type DnsStep =
  | (DnsServerAnswer & { latency?: Duration; nameservers?: Record<string, DnsServerAnswer> })
  | { ok: boolean; answers?: string[]; message?: string; latency?: Duration };

/**
 * A TCP step: the connection opens after `latency`, or fails with the socket's error code
 * (`ECONNREFUSED` by default, `EHOSTUNREACH`, `ECONNRESET`, ...) or `"timeout"` (nothing answers
 * within the check's timeout).
 */
export type TcpStep = { connected: true; latency?: Duration } | { connected: false; error?: string; latency?: Duration };

/** One series of an instant-vector answer: what the PromQL query returns at that time. */
export interface SeriesSample {
  /** The series' labels (without `__name__`). */
  labels?: Record<string, string>;
  value: number | "NaN" | "+Inf" | "-Inf";
}

/** The check's result from this step's time until the next step, by check kind. */
export type StepResultFor<K extends Check["kind"]> = K extends "http"
  ? { http: HttpAnswer }
  : K extends "httpWindow"
    ? { http: HttpAnswer }
    : K extends "prometheus"
      ? { series: SeriesSample[] }
      : K extends "dns"
        ? { dns: DnsStep }
        : K extends "tcp"
          ? { tcp: TcpStep }
          : K extends "heartbeat"
            ? { heartbeat: "received" | "missing" }
            : K extends "webhook"
              ? { uptime: { up: boolean; message?: string } }
              : K extends "script"
                ? { script: ScriptOutcome }
                : K extends "manual"
                  ? { emergency: { message: string } } | { emergencyResolved: true }
                  : never;

/** Why a check could not produce a result (runtime/checks/README.md). */
export type TestErrorReason = "timeout" | "unreachable" | "tls" | "bad-response" | "config" | "code";

/** The check throws instead of answering, from this step on. */
export interface ErrorStep {
  error: string;
  reason?: TestErrorReason;
}

/** Someone acknowledges the alert (as a PagerDuty webhook would). */
export interface AcknowledgeStep {
  acknowledge: { by: string; labels?: Record<string, string> };
}

/** One step: at a time, a check result of the monitor's kind, a thrown error, or an acknowledgement. */
export type TestStep<K extends Check["kind"]> = { at: TestTime } & (StepResultFor<K> | ErrorStep | AcknowledgeStep);

/** A notification expected at a destination. */
export interface ExpectedNotification {
  type: "trigger" | "reminder" | "resolve" | "acknowledge";
  /** A service (its PagerDuty Events integration), a channel, or a destination id (`service:web`, `channel:oncall-slack`). */
  destination: Service | Channel | string;
  dedupKey?: string;
  /** Labels the notification must carry (a subset of its labels). */
  labels?: Record<string, string>;
}

/** What must hold at a time, for one label set (default: the check's only one). */
export interface TestExpectation {
  at: TestTime;
  /** The alert's label set: the series' labels (the monitor's own labels may be included). */
  labels?: Record<string, string>;
  alert: "inactive" | "pending" | "firing";
  acknowledged?: boolean;
  /**
   * Exactly the notifications sent for this label set after the previous expectation of it (after
   * `start` for the first) up to and including `at`. Omit it to leave notifications unchecked.
   */
  notifications?: ExpectedNotification[];
}

/** Check results for another monitor in the same simulation (an inhibiting site-down monitor, say). */
export interface MonitorFeed {
  readonly kind: "monitorFeed";
  readonly monitor: Monitor;
  readonly steps: readonly TestStep<Check["kind"]>[];
}

export interface MonitorTestProps<C extends Check> {
  /** Shown in the report (default: the monitor's id and the test's line). */
  name?: string;
  monitor: Monitor<C>;
  /** Simulated time zero, an ISO time with its zone (`2026-12-05T03:12:00Z`). */
  start: string;
  steps: NoInfer<TestStep<C["kind"]>>[];
  expect: TestExpectation[];
  /** Other monitors simulated alongside, each with its own steps: `feed(websiteSiteDown, [...])`. */
  others?: MonitorFeed[];
}

export type MonitorTest = Readonly<MonitorTestProps<Check>> & { readonly kind: "monitorTest" };

/** Declares a monitor unit test; export it from a `*.wktest.ts` module. */
export function monitorTest<C extends Check>(props: MonitorTestProps<C>): MonitorTest {
  return withSource({ kind: "monitorTest", ...props } as unknown as MonitorTest);
}

/** Check results for another monitor of the same test, typed by that monitor's check kind. */
export function feed<C extends Check>(monitor: Monitor<C>, steps: NoInfer<TestStep<C["kind"]>>[]): MonitorFeed {
  return withSource({ kind: "monitorFeed", monitor, steps } as MonitorFeed);
}

/** True for a value made by monitorTest(). */
export function isMonitorTest(value: unknown): value is MonitorTest {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "monitorTest" && SOURCE in value;
}

// Tests have no id and are not constructs (collectConstructs skips them), but keep where they
// were made, as constructs do, so a failure names its file and line.
function withSource<T extends object>(value: T): T {
  Object.defineProperty(value, SOURCE, { value: new Error().stack ?? "", enumerable: false });
  return Object.freeze(value);
}
