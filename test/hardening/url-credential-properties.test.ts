import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlsIn, redactUrlsInText } from "../../runtime/redact-url.js";
import { parseRedisUrl, RedisConnectError } from "../../runtime/scale-out/redis-connection.js";

// A URL's password never survives redaction, whatever characters it holds and whatever the scheme;
// and the host shown is the host a request goes to (WHATWG's reading of the URL).

const PASSWORD = "Pw9secretZ";
const RUNS = Number(process.env.WK_PROPERTY_RUNS ?? 2000);
const ch = fc.constantFrom(..."ab:@/?#&=\"'`\\ %.-_[]<>".split(""));
const junk = fc.array(ch, { maxLength: 6 }).map((a) => a.join(""));
const scheme = fc.constantFrom("http://", "https://", "HTTPS://", "ws://", "ftp://", "redis://", "rediss://", "postgres://");
// No "@" before the secret part: `:@Pw9…\\@host` is a valid http URL whose host is Pw9…, not a password.
const password = fc.tuple(junk, junk).map(([a, b]) => `${a.replace(/@/g, "")}${PASSWORD}${b}`.replace(/[\s/?#<>"]/g, ""));
const url = fc
  .tuple(scheme, junk, password, fc.constantFrom("host", "db.example.com", "10.0.0.1:6379"), fc.constantFrom("", "/x", "/0", "/a/b?c=1", "?q=1#f"))
  .map(([s, user, p, host, tail]) => `${s}${user.replace(/[\s/?#@:<>"\\]/g, "")}:${p}@${host}${tail}`);

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

describe("URL credentials", () => {
  it("are gone from a URL, from text and from JSON holding it", () => {
    fc.assert(
      fc.property(url, junk, (u, around) => {
        // Where WHATWG parses the URL, its own userinfo is the credential (`http://a:\\Pw9…@host`
        // asks host a for the path /Pw9…@host); where it refuses the URL, all up to the last `@` is.
        const parsed = URL.canParse(u) ? new URL(u) : null;
        const credential = parsed === null || `${decoded(parsed.username)}:${decoded(parsed.password)}`.includes(PASSWORD);
        if (!credential) return;
        expect(redactUrl(u)).not.toContain(PASSWORD);
        expect(redactUrlsInText(`${around} ${u} ${around}`)).not.toContain(PASSWORD);
        expect(redactUrlsIn(JSON.stringify({ msg: `${around} ${u}` }))).not.toContain(PASSWORD);
      }),
      { numRuns: RUNS },
    );
  });

  it("are gone when the password holds a backslash, which ends the authority only in http-like schemes", () => {
    expect(redactUrl("redis://:pa\\ss@cache.internal:6379/0")).toBe("redis://cache.internal:6379/0");
    // WHATWG reads `\` as `/` in an http URL: the request goes to evil.example, and that is the host shown.
    expect(new URL("http://evil.example\\@good.example/").host).toBe("evil.example");
    expect(redactUrl("http://evil.example\\@good.example/")).toBe("http://evil.example\\@good.example/");
  });

  it("are not in the error for a Redis URL that cannot be used", () => {
    const bad = "redis://:pa\\ss@cache.internal:6379/notanumber";
    let error: unknown;
    try {
      parseRedisUrl(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RedisConnectError);
    expect((error as Error).message).not.toContain("pa\\ss");
    expect((error as Error).message).toContain("cache.internal:6379");
  });
});
