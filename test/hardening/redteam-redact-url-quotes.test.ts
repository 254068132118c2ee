import { describe, expect, it } from "vitest";
import { redactUrlsIn, redactUrlsInText } from "../../runtime/redact-url.js";

const PASSWORDS = [`pa'ss-word-1`, `pa"ss-word-2`, `pa\\ss-word-3`, "pa`ss-word-4", `pa'"\\ss-word-5`, `p@ss'word-6`];

describe("URL credentials are removed even when they hold quotes or backslashes", () => {
  it("removes userinfo whose password holds ' \" \\ or ` from plain text and from serialised JSON, which stays valid", () => {
    for (const password of PASSWORDS) {
      const url = `https://ops:${password}@api.example/health`;
      const plain = redactUrlsInText(`check failed: GET ${url} answered 503`);
      expect(plain, password).not.toContain("ss-word");
      expect(plain).toContain("https://api.example/health");
      const json = redactUrlsIn(JSON.stringify({ url, next: "ada@example.com", other: "https://x.example/" }));
      expect(json, password).not.toContain("ss-word");
      expect(JSON.parse(json)).toEqual({ url: "https://api.example/health", next: "ada@example.com", other: "https://x.example/" });
    }
  });

  it("replaces the whole value of a secret-looking query parameter that holds a quote or a backslash", () => {
    for (const value of [`ab'cd-secret-tail`, `ab"cd-secret-tail`, `ab\\cd-secret-tail`]) {
      const url = `https://api.example/x?api_key=${value}&page=2`;
      expect(redactUrlsInText(`GET ${url} failed`), value).not.toContain("secret-tail");
      const json = redactUrlsIn(JSON.stringify({ url }));
      expect(json, value).not.toContain("secret-tail");
      expect(JSON.parse(json)).toEqual({ url: "https://api.example/x?api_key=[redacted]&page=2" });
    }
  });

  it("removes them from check messages and the status page as well as from JSON answers", () => {
    expect(redactUrlsInText(`GET https://ops:pa"ss-word@api.example/ failed`)).toBe("GET https://api.example/ failed");
    expect(redactUrlsInText(`GET https://api.example/?token=ab"cd-tail&page=2`)).toBe("GET https://api.example/?token=[redacted]&page=2");
  });

  it("leaves JSON strings around a URL intact", () => {
    const text = JSON.stringify({ a: "see https://example.com/a", b: "mail ada@example.com", c: 'say "https://x.example/?q=1" twice' });
    expect(JSON.parse(redactUrlsIn(text))).toEqual(JSON.parse(text));
  });
});
