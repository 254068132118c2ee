import { describe, expect, it } from "vitest";
import { redactUrlsInValue } from "./redact-url.js";

describe("redactUrlsInValue", () => {
  it("redacts URL credentials at any depth and leaves the original untouched", () => {
    const result = { message: "ok", details: { url: "https://ops:hunter2@example.com/x?token=abc&x=1", list: ["plain", "http://u:p@h/"] }, n: 3 };
    const out = redactUrlsInValue(result);
    expect(out).toEqual({ message: "ok", details: { url: "https://example.com/x?token=[redacted]&x=1", list: ["plain", "http://h/"] }, n: 3 });
    expect(result.details.url).toBe("https://ops:hunter2@example.com/x?token=abc&x=1");
    expect(result.details.list[1]).toBe("http://u:p@h/");
  });

  it("hands back the same value when nothing in it needed redacting", () => {
    const clean = { message: "200 in 3ms", details: { url: "http://127.0.0.1:8080/ok", status: 200, failures: ["a"] }, labels: {} };
    expect(redactUrlsInValue(clean)).toBe(clean);
  });

  it("keeps a `__proto__` key of a copied object as data, redacted, without touching the prototype", () => {
    const value = JSON.parse('{"first":"plain","__proto__":"https://u:secret@h/","last":"https://v:other@h/"}') as Record<string, unknown>;
    const out = redactUrlsInValue(value);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["first", "__proto__", "last"]);
    expect(JSON.stringify(out)).toBe('{"first":"plain","__proto__":"https://h/","last":"https://h/"}');
  });
});
