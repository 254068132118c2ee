import { describe, expect, it } from "vitest";
import { check, collectConstructs, monitor } from "../../sdk/index.js";
import { tempProjects } from "./temp-project.js";

/**
 * Module exports are untrusted values: a Proxy whose traps throw or a getter that throws, exported
 * beside the monitors, used to end the whole load as "the sandboxed loader failed ... a bug in
 * watchkeeper", with no file and no line.
 */
const compile = tempProjects();

const site = () => monitor({ id: "site", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/" }) });

describe("collecting constructs from hostile exports", () => {
  it("skips what cannot be read and still finds every construct that can", () => {
    const m = site();
    const trapped = new Proxy({}, { ownKeys: () => { throw new Error("ownKeys trap"); } });
    const getter = { get boom(): unknown { throw new Error("getter"); }, m };
    const kindTrap = new Proxy({}, { get: () => { throw new Error("get trap"); } });
    expect(collectConstructs([{ trapped, getter, kindTrap }])).toEqual([m]);
  });

  it("a monitor whose labels are a Proxy that throws is reported at the monitor's line, not as a bug", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "hostile" });\n`,
      "monitors/hostile.ts": `import { check, monitor } from "watchkeeper";

export const p = monitor({ id: "proxied", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/" }), labels: new Proxy({ a: "b" }, { ownKeys() { throw new Error("ownKeys trap"); } }) as never });
export const odd = { get broken(): string { throw new Error("getter on an export"); } };
export const fine = monitor({ id: "fine", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/" }) });
`,
    });
    expect(result.diagnostics.filter((d) => d.code === "WK2006")).toEqual([]);
    const found = result.diagnostics.filter((d) => d.severity === "error");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: "WK4001", file: "monitors/hostile.ts", line: 3 });
    expect(found[0]!.message).toContain("ownKeys trap");
  }, 60_000);

  it("a getter that throws while a definition is read gets a hint naming the throwing line, not one about `as any`", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "hostile" });\n`,
      "monitors/getter.ts": `import { check, monitor } from "watchkeeper";

export const g = monitor({
  id: "getter",
  schedule: { every: "1m" },
  check: check.http({ url: "http://10.0.0.1/" }),
  labels: {
    get team(): string {
      throw new Error("no team yet");
    },
  },
});
`,
    });
    const found = result.diagnostics.filter((d) => d.code === "WK4001");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "monitors/getter.ts", line: 3 });
    expect(found[0]!.message).toContain("no team yet");
    expect(found[0]!.hint).toContain("the project's own code threw at monitors/getter.ts:9");
    expect(found[0]!.hint).not.toMatch(/as any/);
  }, 60_000);
});
