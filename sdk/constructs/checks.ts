import type { Duration } from "../duration.js";
import type { Secretish, SecretRef } from "../secret.js";
import type { ScriptContext, ScriptOutcome, TimeWindow } from "../result.js";

/** A JSON assertion on an HTTP response body. `path` is dotted: `data.status`, `items.0.id`. */
export interface JsonAssertion {
  path: string;
  equals?: string | number | boolean | null;
  threshold?: { op: ">" | ">=" | "<" | "<=" | "==" | "!="; value: number };
  exists?: boolean;
}

export interface HttpCheckProps {
  url: string;
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  headers?: Record<string, Secretish>;
  /** A string is sent as is; an object is sent as JSON. */
  body?: string | Record<string, unknown>;
  timeout?: Duration;
  followRedirects?: boolean;
  expect?: {
    /** Accepted status codes (default: any 2xx). */
    status?: number | number[];
    maxLatency?: Duration;
    headers?: Record<string, string>;
    json?: JsonAssertion[];
    bodyContains?: string;
    /** Fail when the TLS certificate expires within this duration, e.g. "14d". */
    tlsExpiryWithin?: Duration;
    /**
     * Fail when the certificate's key is weaker than this, in bits. Judged whenever the certificate
     * is read (`tlsExpiryWithin` or this set), by default RSA 2048 and EC 256; a DSA key always
     * fails. `false` accepts any key.
     */
    tlsMinKey?: { rsa?: number; ec?: number } | false;
  };
}

export interface HttpWindowCheckProps {
  /** URL template: `{{from}}` and `{{to}}` become the window bounds. */
  url: string;
  method?: "GET" | "POST" | "PUT";
  headers?: Record<string, Secretish>;
  body?: string | Record<string, unknown>;
  /** The sliding window ending at the tick: `from = now - window, to = now`. */
  window: Duration;
  timeFormat?: "iso" | "epoch-ms" | "epoch-s";
  /** Dotted path of the number to test, or a function of the parsed body. */
  extract: string | ((body: unknown, window: TimeWindow) => number | null);
  timeout?: Duration;
}

export interface PrometheusCheckProps {
  /** Base URL of the Prometheus server. */
  server: string;
  /** PromQL instant query; each returned series is its own alert, labels carried. */
  query: string;
  headers?: Record<string, Secretish>;
  timeout?: Duration;
}

export interface DnsCheckProps {
  name: string;
  recordType?: "A" | "AAAA" | "CNAME" | "MX" | "NS" | "TXT" | "SRV" | "SOA" | "CAA" | "PTR";
  /** `host` or `host:port` of the resolver to ask (default: the system resolver). */
  resolver?: string;
  /** Values that must all be in the answer. */
  expect?: string[];
  /** Nameservers that must each answer for `name`. */
  nameservers?: string[];
  timeout?: Duration;
}

export interface TcpCheckProps {
  host: string;
  port: number;
  timeout?: Duration;
}

export interface HeartbeatCheckProps {
  /** A ping (`POST /heartbeat/:monitorId`) is expected at least this often. */
  every: Duration;
  grace?: Duration;
  /** Token the ping must carry (`Authorization: Bearer` or `?token=`). */
  token?: SecretRef;
}

export interface WebhookCheckProps {
  /** Payload shape of the uptime service posting to `/webhooks/uptime/:monitorId`. */
  format?: "nodeping" | "generic";
  token: SecretRef;
}

export interface ScriptCheckProps {
  run: (ctx: ScriptContext) => Promise<ScriptOutcome> | ScriptOutcome;
  timeout?: Duration;
}

export interface ManualCheckProps {
  /** The password the emergency page asks for. */
  password: SecretRef;
  title?: string;
}

export type HttpCheck = { readonly kind: "http" } & HttpCheckProps;
export type HttpWindowCheck = { readonly kind: "httpWindow" } & HttpWindowCheckProps;
export type PrometheusCheck = { readonly kind: "prometheus" } & PrometheusCheckProps;
export type DnsCheck = { readonly kind: "dns" } & DnsCheckProps;
export type TcpCheck = { readonly kind: "tcp" } & TcpCheckProps;
export type HeartbeatCheck = { readonly kind: "heartbeat" } & HeartbeatCheckProps;
export type WebhookCheck = { readonly kind: "webhook" } & WebhookCheckProps;
export type ScriptCheck = { readonly kind: "script" } & ScriptCheckProps;
export type ManualCheck = { readonly kind: "manual" } & ManualCheckProps;

export type Check =
  | HttpCheck
  | HttpWindowCheck
  | PrometheusCheck
  | DnsCheck
  | TcpCheck
  | HeartbeatCheck
  | WebhookCheck
  | ScriptCheck
  | ManualCheck;

/** Check kinds. Each returns a plain description; the runtime performs it. */
export const check = {
  /** HTTP request with expectations on status, latency, headers, JSON body and TLS expiry. */
  http: (props: HttpCheckProps): HttpCheck => Object.freeze({ kind: "http", ...props }),
  /** HTTP poll over a sliding time window, with a value extracted from the JSON response. */
  httpWindow: (props: HttpWindowCheckProps): HttpWindowCheck => Object.freeze({ kind: "httpWindow", ...props }),
  /** PromQL instant query against a Prometheus server; one alert per returned series. */
  prometheus: (props: PrometheusCheckProps): PrometheusCheck => Object.freeze({ kind: "prometheus", ...props }),
  /** DNS records and nameservers. */
  dns: (props: DnsCheckProps): DnsCheck => Object.freeze({ kind: "dns", ...props }),
  /** TCP connect. */
  tcp: (props: TcpCheckProps): TcpCheck => Object.freeze({ kind: "tcp", ...props }),
  /** Expects a ping every N (cron jobs, batch work). */
  heartbeat: (props: HeartbeatCheckProps): HeartbeatCheck => Object.freeze({ kind: "heartbeat", ...props }),
  /** Up/down reports posted by an uptime service. */
  webhook: (props: WebhookCheckProps): WebhookCheck => Object.freeze({ kind: "webhook", ...props }),
  /** A typed async function. */
  script: (props: ScriptCheckProps): ScriptCheck => Object.freeze({ kind: "script", ...props }),
  /** The emergency button: a person triggers it from the emergency page. */
  manual: (props: ManualCheckProps): ManualCheck => Object.freeze({ kind: "manual", ...props }),
};
