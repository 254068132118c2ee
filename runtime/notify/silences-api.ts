import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import { z } from "zod";
import { parseDuration } from "../../sdk/duration.js";
import { guardRead, guardWrite, type ApiAccess } from "../http/api-auth.js";
import { sendJson, SMALL_BODY_BYTES, type Router } from "../http/router.js";
import { parseJson } from "../http/http-io.js";
import { redact } from "../text/redact.js";
import type { Silence, Silences } from "./silences.js";

/** Secret holding the API token; without it, silences cannot be created or expired. */
export { API_TOKEN_SECRET } from "../http/api-auth.js";

/** A non-blank string, trimmed: who and why must say something. */
const nonBlank = z.string().trim().min(1, "must not be blank");

/** An ISO 8601 date-time that names an instant: `Z` or an offset (years beyond 9999 in the expanded form). */
const INSTANT = /^(?:\d{4}|[+-]\d{6})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

const SILENCE_EXAMPLE = '{ "matchers": { "monitors": ["api-up"] }, "duration": "2h", "comment": "database failover", "createdBy": "ada" }';

/**
 * Label matchers. JSON.parse keeps a `"__proto__"` key as an own property, but a schema builds its
 * result by assignment, where that key vanishes: refused here, or the silence would match more.
 */
const labelMatchers = z
  .unknown()
  .refine((v) => !(typeof v === "object" && v !== null && Object.hasOwn(v, "__proto__")), "__proto__ is not a label name")
  .pipe(z.record(z.string(), z.string()));

const createSchema = z.object({
  comment: nonBlank,
  createdBy: nonBlank,
  /** ISO date-time; default now. */
  startsAt: z.string().optional(),
  /** ISO date-time, or give `duration`. */
  endsAt: z.string().optional(),
  duration: z.string().optional(),
  // Strict: a matcher dropped for a misspelt key (`monitor`) would silence every alert the others match.
  matchers: z
    .object({
      monitors: z.array(z.string()).default([]),
      services: z.array(z.string()).default([]),
      labels: labelMatchers.default({}),
    })
    .strict(),
});

function view(s: Silence, now: number, secrets: readonly string[]) {
  return {
    id: s.id,
    kind: s.kind,
    origin: s.origin,
    comment: redact(s.comment, secrets),
    createdBy: redact(s.createdBy, secrets),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    active: s.startsAt <= now && now < s.endsAt,
    matchers: s.matchers,
  };
}

/** What the silence routes need; `maxSilenceMs` is `runtime.maxSilence` from the manifest. */
export interface SilenceRouteDeps {
  silences: Silences;
  clock: () => number;
  access: ApiAccess;
  maxSilenceMs: number;
  /** `runtime.maxSilence` as the project wrote it, for the error message. */
  maxSilence: string;
  logger: Logger;
  /**
   * Every secret value the runtime knows (declared secrets, its own, the routing keys): a colleague
   * who pastes a routing key or token into a silence's reason must not put it on the API, the pages,
   * the store or the log.
   */
  secretValues: () => string[];
}

/**
 * `GET /api/silences` (current and scheduled; a detail read), `POST /api/silences` (at least one
 * matcher, a non-blank `createdBy` and `comment`, an end in the future, no longer than
 * `runtime.maxSilence`), `DELETE /api/silences/:id` (expires an API silence; who and why go in a
 * JSON body `{ "expiredBy", "comment" }` or the query, and are logged as "not named" when absent; manifest windows change only through the
 * manifest). Creating and expiring need the API token and are logged with who, why and what.
 */
export function registerSilenceRoutes(router: Router, deps: SilenceRouteDeps): void {
  router.add(
    "GET",
    "/api/silences",
    guardRead(deps.access, async (_req, res) => {
      const now = deps.clock();
      const secrets = deps.secretValues();
      sendJson(res, 200, { silences: (await deps.silences.current(now)).map((s) => view(s, now, secrets)) });
    }),
  );

  router.add(
    "POST",
    "/api/silences",
    guardWrite(deps.access, async (_req, res, _params, raw) => {
      const body = parseJson(raw);
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        return sendJson(res, 400, { error: "invalid silence", issues: [`the body must be a JSON object (UTF-8), such as ${SILENCE_EXAMPLE}`] });
      }
      const parsed = createSchema.safeParse(body);
      if (!parsed.success) return sendJson(res, 400, { error: "invalid silence", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      const input = parsed.data;
      const now = deps.clock();
      // Read as the instant they name, or refused: without `Z` or an offset, Date.parse would take the
      // runtime machine's zone (and it takes forms such as "Dec 5 2026" too).
      for (const [field, text] of [["startsAt", input.startsAt], ["endsAt", input.endsAt]] as const) {
        if (text !== undefined && !INSTANT.test(text)) return sendJson(res, 400, { error: `${field} must be an ISO 8601 date-time with Z or an offset, such as 2026-12-05T22:00:00Z or 2026-12-05T23:00:00+01:00; got ${JSON.stringify(text.slice(0, 40))}` });
      }
      const startsAt = input.startsAt ? Date.parse(input.startsAt) : now;
      const durationMs = input.duration ? parseDuration(input.duration) : undefined;
      const endsAt = input.endsAt ? Date.parse(input.endsAt) : durationMs !== undefined ? startsAt + durationMs : NaN;
      const { monitors, services, labels } = input.matchers;
      if (Number.isNaN(startsAt) || Number.isNaN(endsAt)) return sendJson(res, 400, { error: "give endsAt (ISO date-time) or duration (e.g. 2h); startsAt must be a date-time" });
      // Date.parse accepts the last representable instant, and a duration added to it leaves the
      // range: such a silence would be stored and then fail every listing (toISOString throws).
      if (!representable(startsAt) || !representable(endsAt)) return sendJson(res, 400, { error: "startsAt and endsAt must be dates between the years 0 and 9999" });
      if (endsAt <= Math.max(now, startsAt)) return sendJson(res, 400, { error: "endsAt must be after startsAt and in the future" });
      if (endsAt - startsAt > deps.maxSilenceMs) {
        return sendJson(res, 400, {
          error: `a silence may last at most ${deps.maxSilence} (runtime.maxSilence in watchkeeper.config.ts); split it or change the setting`,
        });
      }
      if (monitors.length + services.length + Object.keys(labels).length === 0) {
        return sendJson(res, 400, { error: "a silence needs at least one matcher (monitors, services or labels)" });
      }
      // Stored redacted: the record outlives any change of the secret's value.
      const secrets = deps.secretValues();
      const text = { comment: redact(input.comment, secrets), createdBy: redact(input.createdBy, secrets) };
      const silence = await deps.silences.add({ ...text, startsAt, endsAt, matchers: { monitors, services, labels } }, now);
      const shown = view(silence, now, secrets);
      deps.logger.info(
        { silence: silence.id, createdBy: silence.createdBy, comment: silence.comment, matchers: silence.matchers, startsAt: shown.startsAt, endsAt: shown.endsAt },
        "silence created",
      );
      sendJson(res, 201, shown);
    }),
    { maxBodyBytes: SMALL_BODY_BYTES },
  );

  router.add(
    "DELETE",
    "/api/silences/:id",
    guardWrite(deps.access, async (req, res, params, raw) => {
      const id = params["id"] ?? "";
      const who = expiry(req, raw, deps.secretValues());
      if (!who.ok) return sendJson(res, 400, { error: who.error });
      const silence = await deps.silences.get(id);
      if (!silence) return sendJson(res, 404, { error: `no silence ${id}` });
      if (silence.origin === "manifest") return sendJson(res, 409, { error: `silence ${id} comes from the manifest; change it there` });
      await deps.silences.expire(id, deps.clock(), who.expiredBy);
      deps.logger.info({ silence: id, expiredBy: who.expiredBy, comment: who.comment, createdBy: silence.createdBy, matchers: silence.matchers }, "silence expired");
      res.writeHead(204).end();
    }),
    { maxBodyBytes: SMALL_BODY_BYTES },
  );
}

/** Years 0 to 9999: every date a person means, and every one toISOString and SQLite can hold. */
const YEAR_0 = Date.parse("0000-01-01T00:00:00.000Z");
const YEAR_10000 = Date.parse("+010000-01-01T00:00:00.000Z");
function representable(ms: number): boolean {
  return Number.isFinite(ms) && ms >= YEAR_0 && ms < YEAR_10000;
}

/** Logged as who expired a silence when the request names nobody: the token is all we know. */
const UNNAMED_EXPIRER = "API token holder (no expiredBy given)";

const expirySchema = z.object({ expiredBy: z.string().trim().optional(), comment: z.string().trim().optional() });

/**
 * Who expires a silence and why: a JSON body, else the query (`?expiredBy=ada&comment=...`).
 * Naming someone is asked for, not required: a plain `curl -X DELETE` with the token must still be
 * able to lift a silence that is hiding an outage; the log then says that nobody was named.
 */
function expiry(req: IncomingMessage, raw: Buffer, secrets: readonly string[]): { ok: true; expiredBy: string; comment: string | null } | { ok: false; error: string } {
  const query = new URL(req.url ?? "/", "http://localhost").searchParams;
  const input = raw.length > 0 ? parseJson(raw) : { expiredBy: query.get("expiredBy") ?? undefined, comment: query.get("comment") ?? undefined };
  const parsed = expirySchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "the body must be JSON such as { \"expiredBy\": \"name\", \"comment\": \"why\" }" };
  const { expiredBy, comment } = parsed.data;
  return { ok: true, expiredBy: expiredBy ? redact(expiredBy, secrets) : UNNAMED_EXPIRER, comment: comment ? redact(comment, secrets) : null };
}
