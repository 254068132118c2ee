import { Redis, type RedisOptions } from "ioredis";
import { redactUrl } from "../redact-url.js";

/** Thrown when Redis cannot be reached or refuses the credentials at start; the message never holds a password. */
export class RedisConnectError extends Error {
  constructor(readonly redactedUrl: string, reason: string) {
    super(`cannot use Redis at ${redactedUrl}: ${reason}`);
  }
}

/** A host, with a port and a database or not, and nothing else: `redis:6379`, `10.0.0.5:6379/0`, `[::1]:6379`. */
const BARE_ADDRESS = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d+)?(?:\/\d*)?$/;

/** `redis://[user:password@]host:port/db` or `rediss://...`, checked and shown without credentials. */
export function parseRedisUrl(url: string): { options: RedisOptions; shown: string } {
  const shown = redactUrl(url);
  // HOST:PORT without redis:// would parse as a URL whose scheme is the host name.
  if (BARE_ADDRESS.test(url)) throw new RedisConnectError(shown, `no scheme; expected redis://${url}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisConnectError(shown, "not a URL; expected redis://HOST:PORT/DB");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new RedisConnectError(shown, `unsupported scheme ${parsed.protocol}; expected redis:// or rediss://`);
  // redis:/HOST:PORT (a slash short) parses with the address as the path, then read as the database.
  if (parsed.hostname === "") throw new RedisConnectError(shown, "no host; expected redis://HOST:PORT/DB");
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RedisConnectError(shown, `database ${JSON.stringify(parsed.pathname.slice(1))} is not a number`);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port ? Number(parsed.port) : 6379,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return { options, shown };
}

/** A command Redis has not answered by then fails (a stalled Redis: a slow command, a fork, DEBUG SLEEP). */
export const COMMAND_TIMEOUT_MS = 5_000;

/**
 * Options for the connections a replica keeps for its own commands (store, control): no offline
 * queue, so a Redis outage fails commands at once instead of buffering them without bound, a
 * command timeout, so a stalled Redis fails commands (a tick is retried, /readyz answers) instead
 * of holding them forever, and reconnection that keeps trying every second at most.
 */
export function boundedOptions(options: RedisOptions): RedisOptions {
  return {
    ...options,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 5_000,
    retryStrategy: reconnectDelay,
  };
}

/**
 * How long a lost connection waits before its next attempt: 100 ms more each time, at most 1 s.
 * BullMQ's own default grows to 20 s, so ticks resumed up to 20 s after a long Redis outage ended;
 * the scheduler's connections use this one too.
 */
export function reconnectDelay(times: number): number {
  return Math.min(100 * times, 1_000);
}

/** Connects and pings within `timeoutMs`, or throws RedisConnectError naming the URL without its password. */
export async function connectChecked(url: string, timeoutMs = 5_000): Promise<Redis> {
  const { options, shown } = parseRedisUrl(url);
  const redis = new Redis({ ...boundedOptions(options), lazyConnect: true, retryStrategy: () => null });
  // The rejection may only say "Connection is closed": the error event says why (WRONGPASS, ECONNREFUSED).
  let cause: unknown = null;
  let pinged = false;
  redis.on("error", (error: unknown) => (cause ??= error));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await redis.connect();
        await redis.ping();
        pinged = true;
        // ioredis only logs a failed SELECT and goes on in database 0: ask for the database ourselves.
        if (options.db) await redis.select(options.db).catch((error: unknown) => {
          throw new Error(`database ${options.db} cannot be selected (${error instanceof Error ? error.message : String(error)}); Redis has databases 0 to \`databases\` - 1 (16 by default)`);
        });
      })(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new RedisConnectError(shown, reasonOf(pinged ? error : (cause ?? error), options));
  } finally {
    clearTimeout(timer);
  }
  // From now on the connection reconnects by itself.
  redis.options.retryStrategy = boundedOptions(options).retryStrategy;
  redis.removeAllListeners("error");
  // Outage errors surface as rejected commands and in /readyz; the event itself needs no handling.
  redis.on("error", () => undefined);
  return redis;
}

/** The setting a user fixes: named in every credentials error. */
const URL_SETTING = "--redis or WATCHKEEPER_REDIS_URL";

function reasonOf(error: unknown, options: RedisOptions): string {
  let text = error instanceof Error ? error.message : String(error);
  const first = text.split("\n")[0]!;
  if (/NOAUTH|Authentication required/i.test(first) && !options.password) {
    text = `Redis requires a password and the URL has none (${first}); give it in ${URL_SETTING} as redis://:PASSWORD@HOST:PORT/DB`;
  } else if (/WRONGPASS|NOAUTH|invalid username-password|AUTH failed/i.test(first)) {
    text = `wrong credentials (${first}); check the user and password in ${URL_SETTING}`;
  }
  if (options.password) text = text.split(options.password).join("[redacted]");
  return text;
}
