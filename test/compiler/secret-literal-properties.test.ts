import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffValues } from "../../cli/plan/property-diff.js";
import { literalsIn, maskCredentials, scanLines } from "../../cli/rules/no-secret-literals.js";

// no-secret-literals skips a file whose text no pattern matches anywhere, and scans the lines of the
// rest. Skipping must never hide a finding: whatever the file holds, the findings are those of the
// line-by-line scan. And what the plan shows of a base's values and code (maskCredentials) must
// hold nothing the rule would flag.

/** Pieces that match a pattern, nearly match one, or sit at a pattern's edge (newlines, word characters). */
const PIECES = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "-----BEGIN PRIVATE KEY-----",
  "https://hooks.slack.com/services/T04Q2/B07ZK/hT3kq9Wv2LmN8pRs",
  "hooks.slack.com/services/",
  "xoxb-1234567890-abcdef",
  "xoxb-12",
  "AKIAABCDEFGHIJKLMNOP",
  "ASIA0123456789ABCDEF",
  "AKIA",
  "Token token=abcdefghij0123",
  "GenieKey 0f0f0f0f-1234-5678-9abc-def012345678",
  "0f0f0f0f-1234-5678-9abc-def012345678",
  "Authorization",
  "api_key",
  "Bearer abcdefghijklmnopqrstuvwxyz012345",
  "Bearer ",
  "Basic dXNlcjpwYXNzd29yZA==",
  "Basic authentication",
  "Basic\n",
  "ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
  "github_pat_0123456789abcdefghijkl_x",
  "https://user:hunter22@example.com/",
  "postgres://app:s3cretpw@db.internal:5432/app",
  "redis://:hunter22@cache:6379",
  "ssh://git@example.com:repo",
  "jdbc:postgresql://db:5432/app",
  "https://example.com/runbook",
  "?api_key=0123456789abcdef",
  "&token=${value}",
  "#access_token=abcdefgh1234",
  "0123456789abcdef0123456789abcdef",
  "0123456789abcdef",
  "deadbeef",
  "\n",
  "\r\n",
  " ",
  "\t",
  "x",
  "_",
  "=",
  "/",
  '"',
  "`",
];

const source = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 24 }).map((parts) => parts.join(""));

describe("no-secret-literals: the quick whole-file tests", () => {
  it("never skip a file the line-by-line scan would flag", () => {
    fc.assert(
      fc.property(source, (text) => {
        expect(literalsIn("monitors/a.ts", text)).toEqual(scanLines("monitors/a.ts", text));
      }),
      { numRuns: Number(process.env.WK_PROPERTY_RUNS ?? 2000) },
    );
  });

  it("flag a credential parameter in a file with no other sign of one", () => {
    // A path relative to a base URL kept elsewhere: no "://", no long hex run.
    const text = `export const path = "/status?access_token=abcdefgh1234";\n`;
    expect(literalsIn("monitors/a.ts", text)).toEqual([expect.objectContaining({ code: "no-secret-literals", line: 1, column: 29 })]);
  });

  it("flag a connection string's password in any scheme, and not a user alone or a port", () => {
    const flagged = (text: string) => literalsIn("monitors/db.ts", text).map((d) => d.message);
    expect(flagged(`const url = "postgres://app:s3cretpw@db.internal:5432/app";`)).toEqual(["this looks like a password in a URL (postgres://…:…@) written into the source"]);
    expect(flagged(`const url = "redis://:hunter22@cache:6379";`)).toHaveLength(1);
    expect(flagged(`const url = "ssh://git@example.com/repo"; const db = "postgres://db.internal:5432/app";`)).toEqual([]);
    expect(flagged("const url = `postgres://app:${secret(\"DB_PASSWORD\")}@db/app`;")).toEqual([]);
    expect(maskCredentials(`url: "redis://:hunter22@cache:6379"`)).toBe(`url: "redis://…:…@cache:6379"`);
  });

  it("still flag each pattern on a line of its own inside an otherwise clean file", () => {
    for (const piece of PIECES.filter((p) => scanLines("f.ts", p).length > 0)) {
      const text = `import { monitor } from "watchkeeper";\nconst runbook = "https://runbooks.example.com/a";\nconst x = "${piece}";\n`;
      expect(literalsIn("f.ts", text), piece).toEqual(scanLines("f.ts", text));
      expect(literalsIn("f.ts", text).length, piece).toBeGreaterThan(0);
    }
  });
});

/** A finding on text the mask already cut: a URL's userinfo shown as `…:…`, which still reads as one. */
const alreadyCut = (text: string, d: { line?: number | null; column?: number | null }) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/…:…@/.test(text.split("\n")[(d.line ?? 1) - 1]!.slice((d.column ?? 1) - 1));

describe("what the plan shows (maskCredentials)", () => {
  it("holds nothing the rule would flag, whatever the text", () => {
    fc.assert(
      fc.property(source, (text) => {
        const masked = maskCredentials(text);
        expect(scanLines("f.ts", masked).filter((d) => !alreadyCut(masked, d))).toEqual([]);
      }),
      { numRuns: Number(process.env.WK_PROPERTY_RUNS ?? 2000) },
    );
  });

  it("cuts a UUID on a line that sets an API key, as the rule flags it", () => {
    const uuid = "0f0f0f0f-1234-5678-9abc-def012345678";
    expect(maskCredentials(`headers: { "X-Api-Key": "${uuid}" }`)).toBe('headers: { "X-Api-Key": "<uuid>" }');
    expect(maskCredentials(`id: "${uuid}"`)).toBe(`id: "${uuid}"`);
  });

  it("cuts a UUID shown as a property's value under an API-key header, and keeps one elsewhere", () => {
    const uuid = "0f0f0f0f-1234-5678-9abc-def012345678";
    expect(diffValues({ check: { headers: { "X-Api-Key": uuid } } }, { check: { headers: {} } })).toEqual([{ path: "check.headers.X-Api-Key", before: "<uuid>" }]);
    expect(diffValues({ pagerdutyId: uuid }, {})).toEqual([{ path: "pagerdutyId", before: uuid }]);
  });
});

describe("no-secret-literals on hostile sources", () => {
  const N = 200_000;
  const timed = (f: () => unknown) => {
    const started = performance.now();
    f();
    return performance.now() - started;
  };

  it("takes time linear in a file's length, so a pull request cannot stall the compile", () => {
    for (const text of ["a.".repeat(N / 2), "a".repeat(N), "a:".repeat(N / 2), "x://" + "y:".repeat(N / 2), "?a".repeat(N / 2), "a.a://b:".repeat(N / 8)]) {
      expect(timed(() => literalsIn("monitors/a.ts", text)), text.slice(0, 12)).toBeLessThan(1_000);
      expect(timed(() => maskCredentials(text)), text.slice(0, 12)).toBeLessThan(1_000);
    }
  });

  it("still finds a URL's password after a long run of scheme characters", () => {
    expect(literalsIn("monitors/a.ts", `const u = "${"a.".repeat(1000)}1-2.https://ops:pw-123@h/";`)).toHaveLength(1);
    expect(maskCredentials("1-2.postgres://app:pw-123@db/app")).toBe("1-2.postgres://…:…@db/app");
  });
});
