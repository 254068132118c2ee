import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult, Diagnostic } from "../../cli/compiler/index.js";
import { compileFixture } from "../compiler/support.js";

const byCode = (r: CompileResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);

describe("previous-ids: a rename must name an id that is gone, once", () => {
  let found: Diagnostic[];
  let result: CompileResult;
  beforeAll(async () => {
    result = (await compileFixture("rule-previous-ids")).result;
    found = byCode(result, "previous-ids");
  });

  it("reports an entry equal to the definition's own id, at its line", () => {
    const d = found.find((x) => x.message.includes('monitor "login"'));
    expect(d).toMatchObject({ severity: "error", file: "monitors/renamed.ts", line: 7 });
    expect(d!.message).toMatch(/lists its own id/);
  });

  it("reports a previous id that is still defined, naming where", () => {
    const d = found.find((x) => x.message.includes('monitor "search-v2"'));
    expect(d).toMatchObject({ file: "monitors/renamed.ts", line: 10 });
    expect(d!.message).toMatch(/monitor "search" is still defined at monitors\/renamed\.ts:9/);
  });

  it("reports an old id claimed by two definitions, at the second", () => {
    const d = found.find((x) => x.message.includes('monitor "cart-us"'));
    expect(d).toMatchObject({ file: "monitors/renamed.ts", line: 13 });
    expect(d!.message).toMatch(/both list previous id "cart"/);
  });

  it("judges ids per kind: a service may take a monitor's old id, but not a live service's", () => {
    expect(found.some((x) => x.message.includes('monitor "checkout-api"'))).toBe(false);
    expect(found.some((x) => x.message.includes('service "web" lists'))).toBe(false);
    const d = found.find((x) => x.message.includes('service "api"'));
    expect(d).toMatchObject({ file: "policies/oncall.ts", line: 8 });
    expect(found).toHaveLength(4);
    expect(result.ok).toBe(false);
  });

  it("writes previousIds into the manifest only where given", async () => {
    const { result: ok } = await compileFixture("ok");
    expect(JSON.stringify(ok.manifest)).not.toContain("previousIds");
  });
});
