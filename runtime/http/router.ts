import type { IncomingMessage, ServerResponse } from "node:http";
import { redactUrlsIn } from "../redact-url.js";

/** A request handler: the raw body is read before the handler runs (webhook signatures need it). */
export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  rawBody: Buffer,
) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  maxBodyBytes: number | undefined;
}

/**
 * The body a form, a silence or a ping needs, with room to spare: an attacker filling the server's
 * body budget through such routes needs sixteen times the connections the 1 MiB limit would.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

/** What a route accepts beside its method and path. */
export interface RouteOptions {
  /**
   * The largest body the route reads (413 past it; the server's own limit, 1 MiB, when not said).
   * A GET or HEAD route reads none: a body sent with one is discarded unread.
   */
  maxBodyBytes?: number;
}

/** A check every request passes before routing (the Host check); a refusal is answered as JSON. */
export type RequestGuard = (req: IncomingMessage, path: string) => { status: number; error: string } | null;

/** A small method + path router: `/api/monitors/:id` patterns, exact segments otherwise. */
export class Router {
  private readonly routes: Route[] = [];
  private readonly guards = new Map<string, RequestGuard>();

  /**
   * Adds a check run before any route, under a name: registering the same name again replaces it,
   * so the runtime's routes and the views can each install the Host check they both need.
   */
  guard(name: string, check: RequestGuard): this {
    this.guards.set(name, check);
    return this;
  }

  /** The first refusal of a guard for this request, or null. */
  refusal(req: IncomingMessage, path: string): { status: number; error: string } | null {
    for (const check of this.guards.values()) {
      const refused = check(req, path);
      if (refused) return refused;
    }
    return null;
  }

  add(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler, maxBodyBytes: options.maxBodyBytes });
    return this;
  }

  /**
   * Finds the handler for a request; `allowed` lists methods that match the path when none matches
   * the method; `malformed` when a parameter is not valid percent-encoded UTF-8 (a 400, never a throw).
   */
  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string>; maxBodyBytes: number | undefined } | { allowed: string[] } | { malformed: string } | null {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (params === MALFORMED) return { malformed: "malformed percent-encoding in the path" };
      if (route.method === method.toUpperCase()) return { handler: route.handler, params, maxBodyBytes: route.maxBodyBytes };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

function split(path: string): string[] {
  return path.split(/[?#]/)[0]!.split("/").filter(Boolean);
}

const MALFORMED = Symbol("malformed");

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | typeof MALFORMED | null {
  if (pattern.length !== actual.length) return null;
  for (let i = 0; i < pattern.length; i++) if (!pattern[i]!.startsWith(":") && pattern[i] !== actual[i]) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (!p.startsWith(":")) continue;
    const decoded = decodeSegment(actual[i]!);
    if (decoded === null) return MALFORMED;
    params[p.slice(1)] = decoded;
  }
  return params;
}

/** `decodeURIComponent`, but null for `%ff`, `%E0%A4` and other sequences that are not UTF-8. */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Every JSON answer passes URL redaction: no route can show a monitor URL's credentials. None is
 * stored by a cache: what the API answers to a token or a browser session (alerts, vendors'
 * answers, Redis's host) is the team's, as the pages are, and probes want the state now.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = redactUrlsIn(JSON.stringify(body));
  // nosniff: an answer that quotes what a client sent (a name, a summary) is never read as a page.
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "x-content-type-options": "nosniff" });
  res.end(body);
}
