import { describe, expect, it } from "vitest";
import { redact } from "../../runtime/text/redact.js";

/**
 * A vendor or a target echoes what it was sent in whatever encoding its own stack writes: an SMTP
 * server or a proxy quotes the base64 it got (AUTH LOGIN sends the password alone in base64, AUTH
 * PLAIN and Basic authentication after a user name, at any offset), Go escapes `<>&` in JSON, PHP
 * escapes `/`, Python escapes every non-ASCII character, a form body writes a space as `+`, and
 * some servers write percent escapes in lower case. None of these may carry the secret out.
 */

const SECRET = "Sk3y<&>/pässw'rd (x)!~";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("a secret echoed in another encoding", () => {
  it("is removed when base64-encoded alone or after any prefix (AUTH LOGIN, AUTH PLAIN, Basic), in base64 and base64url", () => {
    const quotes = [
      `535 authentication failed for ${b64(SECRET)}`,
      `AUTH PLAIN ${b64(`\0ops\0${SECRET}`)}`,
      `Authorization: Basic ${b64(`alerts:${SECRET}`)}`,
      `Authorization: Basic ${b64(`ab:${SECRET}`)}`,
      `token=${b64url(`x${SECRET}`)}.sig`,
    ];
    for (const quote of quotes) {
      const out = redact(quote, [SECRET]);
      expect(out, quote).toContain("[redacted]");
      // Every run of 6 bytes of the secret, in base64 at any offset, is gone.
      for (const shift of ["", "a", "ab"]) {
        const core = b64(`${shift}${SECRET}`).slice(8, 16);
        expect(out, quote).not.toContain(core);
      }
    }
  });

  it("is removed when JSON-escaped as Go, PHP or Python write it", () => {
    const json = JSON.stringify(SECRET).slice(1, -1);
    const go = json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const php = json.replace(/\//g, "\\/");
    const python = json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).replace(/'/g, "'");
    for (const echo of [go, php, python]) {
      const out = redact(`{"error":"refused key ${echo}"}`, [SECRET]);
      expect(out).toBe('{"error":"refused key [redacted]"}');
    }
  });

  it("is removed when form-encoded or percent-encoded in lower case", () => {
    const form = new URLSearchParams({ key: SECRET }).toString();
    const lower = encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    expect(redact(`POST body ${form}`, [SECRET])).toBe("POST body key=[redacted]");
    expect(redact(`GET /?key=${lower}`, [SECRET])).toBe("GET /?key=[redacted]");
  });

  it("leaves ordinary text alone", () => {
    const text = "connected to db.example.com in 12ms; status ok; Basic realm=\"api\"";
    expect(redact(text, [SECRET, "hunter22", "0123456789abcdef0123456789abcdef"])).toBe(text);
  });
});

describe("a URL secret's credentials echoed on their own", () => {
  it("are removed: the password of its userinfo, a token given as its user name, each long query value", () => {
    const hook = "https://alerts:hunter2-pw@hooks.example.com/in";
    const tokenAsUser = "https://ghp_0123456789abcdefXYZ@hooks.example.com/in";
    const logicApp = "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Zx9vQk1bTq0L3mNpR7sUaWcEd5fGh2iJ";
    const secrets = [hook, tokenAsUser, logicApp];
    expect(redact("401: password hunter2-pw is wrong", secrets)).toBe("401: password [redacted] is wrong");
    expect(redact("401: bad credentials for ghp_0123456789abcdefXYZ", secrets)).toBe("401: bad credentials for [redacted]");
    expect(redact("The provided signature Zx9vQk1bTq0L3mNpR7sUaWcEd5fGh2iJ is not valid", secrets)).toBe("The provided signature [redacted] is not valid");
    // What is not a credential stays readable: the host, a short value, the API version.
    expect(redact("POST hooks.example.com api-version=2016-10-01 sv=1.0", secrets)).toBe("POST hooks.example.com api-version=2016-10-01 sv=1.0");
  });
});
