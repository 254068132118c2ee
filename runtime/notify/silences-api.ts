import type { IncomingMessage } from "node:http";
import { timingSafeEqual, createHash } from "node:crypto";
import { z } from "zod";
import { parseDuration } from "../../sdk/duration.js";
import { sendJson, type Router } from "../http/router.js";
import { header, parseJson } from "./http-io.js";
import type { Silence, SilenceStore } from "./store/silence-store.js";

/** Secret that, when set, guards creating and expiring silences (`Authorization: Bearer ...`). */
export const API_TOKEN_SECRET = "WATCHKEEPER_API_TOKEN";

const createSchema = z.object({
  comment: z.string().min(1),
  createdBy: z.string().min(1),
  /** ISO date-time; default now. */
  startsAt: z.string().optional(),
  /** ISO date-time, or give `duration`. */
  endsAt: z.string().optional(),
  duration: z.string().optional(),
  matchers: z.object({
    monitors: z.array(z.string()).default([]),
    services: z.array(z.string()).default([]),
    labels: z.record(z.string(), z.string()).default({}),
  }),
});

function view(s: Silence, now: number) {
  return {
    id: s.id,
    kind: s.kind,
    origin: s.origin,
    comment: s.comment,
    createdBy: s.createdBy,
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    active: s.startsAt <= now && now < s.endsAt,
    matchers: s.matchers,
  };
}

/**
 * `GET /api/silences` (current and scheduled), `POST /api/silences` (at least one matcher, an end
 * in the future), `DELETE /api/silences/:id` (expires an API silence; manifest windows change
 * only through the manifest).
 */
export function registerSilenceRoutes(router: Router, deps: { silences: SilenceStore; clock: () => number; secret(name: string): string | undefined }): void {
  const authorized = (req: IncomingMessage): boolean => {
    const token = deps.secret(API_TOKEN_SECRET);
    if (!token) return true;
    const given = header(req, "authorization")?.replace(/^Bearer\s+/i, "") ?? "";
    const a = createHash("sha256").update(given).digest();
    const b = createHash("sha256").update(token).digest();
    return timingSafeEqual(a, b);
  };

  router.add("GET", "/api/silences", (_req, res) => {
    const now = deps.clock();
    sendJson(res, 200, { silences: deps.silences.current(now).map((s) => view(s, now)) });
  });

  router.add("POST", "/api/silences", (req, res, _params, raw) => {
    if (!authorized(req)) return sendJson(res, 401, { error: "a valid bearer token is required" });
    const parsed = createSchema.safeParse(parseJson(raw));
    if (!parsed.success) return sendJson(res, 400, { error: "invalid silence", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    const input = parsed.data;
    const now = deps.clock();
    const startsAt = input.startsAt ? Date.parse(input.startsAt) : now;
    const durationMs = input.duration ? parseDuration(input.duration) : undefined;
    const endsAt = input.endsAt ? Date.parse(input.endsAt) : durationMs !== undefined ? startsAt + durationMs : NaN;
    const { monitors, services, labels } = input.matchers;
    if (Number.isNaN(startsAt) || Number.isNaN(endsAt)) return sendJson(res, 400, { error: "give endsAt (ISO date-time) or duration (e.g. 2h); startsAt must be a date-time" });
    if (endsAt <= Math.max(now, startsAt)) return sendJson(res, 400, { error: "endsAt must be after startsAt and in the future" });
    if (monitors.length + services.length + Object.keys(labels).length === 0) {
      return sendJson(res, 400, { error: "a silence needs at least one matcher (monitors, services or labels)" });
    }
    const silence = deps.silences.add({ comment: input.comment, createdBy: input.createdBy, startsAt, endsAt, matchers: { monitors, services, labels } }, now);
    sendJson(res, 201, view(silence, now));
  });

  router.add("DELETE", "/api/silences/:id", (req, res, params) => {
    if (!authorized(req)) return sendJson(res, 401, { error: "a valid bearer token is required" });
    const id = params["id"] ?? "";
    const silence = deps.silences.get(id);
    if (!silence) return sendJson(res, 404, { error: `no silence ${id}` });
    if (silence.origin === "manifest") return sendJson(res, 409, { error: `silence ${id} comes from the manifest; change it there` });
    deps.silences.expire(id, deps.clock());
    res.writeHead(204).end();
  });
}
