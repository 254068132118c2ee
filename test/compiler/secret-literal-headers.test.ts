import { describe, expect, it } from "vitest";
import { literalsIn, maskCredentials } from "../../cli/rules/no-secret-literals.js";

// A credential header written as a literal (not secret("NAME")) reaches the manifest, the plan and
// the API whatever its value looks like: the header's name says it is a credential.
const LEAKS: Array<[string, string]> = [
  ['headers: { "X-Api-Key": "abc123def456" },', "abc123def456"],
  ['headers: { Authorization: "Token shorty99" },', "shorty99"],
  ["headers: { 'proxy-authorization': 'Basic-ish 42x' },", "42x"],
  ['headers: { "api-key": "k3y-v4lue" },', "k3y-v4lue"],
  ['headers: { "X-Auth-Token": "t0k3n" },', "t0k3n"],
  ['headers: { cookie: "session=s3ss10n" },', "s3ss10n"],
  ['headers: { "X-Vault-Token": "hvs.abcd" },', "hvs.abcd"],
  ['headers: { "X-Signing-Secret": "whsec1234" },', "whsec1234"],
  ['headers: { "X-Partner-Api-Key": "pk-998877" },', "pk-998877"],
  ['headers: { "X-Amz-Access-Key": "ak-12345" },', "ak-12345"],
];

describe("no-secret-literals: a literal value in a credential header", () => {
  for (const [line, value] of LEAKS) {
    it(`finds ${line.slice(0, 40)} at its place, with the fix, and never repeats the value`, () => {
      const found = literalsIn("monitors/api.ts", `export const x = {\n  ${line}\n};\n`);
      expect(found).toHaveLength(1);
      const header = /\{ ["']?([^"':]+)["']?:/.exec(line)![1]!;
      // At the header's name, quote included, in the line as the module holds it (two spaces in).
      expect(found[0]).toMatchObject({ file: "monitors/api.ts", line: 2, column: 3 + line.indexOf("{ ") + 2, severity: "error" });
      expect(found[0]!.message).toContain("a credential header's value");
      expect(found[0]!.message).toContain(header);
      expect(found[0]!.hint).toContain('secret("NAME")');
      expect(JSON.stringify(found)).not.toContain(value);
      expect(maskCredentials(line)).not.toContain(value);
    });
  }

  it("leaves alone a secret reference, a computed value, an empty value and other headers", () => {
    const source = [
      'headers: { authorization: secret("API_TOKEN"), "x-api-key": secret("KEY") },',
      'headers: { Authorization: "Bearer " + token, "X-Api-Key": `${key}` },',
      'headers: { "x-api-key": "" },',
      'headers: { accept: "application/json", "user-agent": "watchkeeper-probe", "x-request-id": "probe-1" },',
      'headers: { "Idempotency-Key": "probe-run-1", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "X-Cache-Key": "home" },',
    ].join("\n");
    expect(literalsIn("monitors/api.ts", source)).toEqual([]);
  });
});
