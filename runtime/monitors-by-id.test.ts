import { describe, expect, it } from "vitest";
import { monitorSpec } from "../test/support/oncall-manifest.js";
import { monitorsById } from "./monitors-by-id.js";

describe("monitorsById", () => {
  it("is one map per manifest, holding every monitor by its id", () => {
    const manifest = { monitors: [monitorSpec({ id: "a" }), monitorSpec({ id: "b" })] };
    const index = monitorsById(manifest);
    expect(monitorsById(manifest)).toBe(index);
    expect([...index.keys()]).toEqual(["a", "b"]);
    expect(index.get("b")).toBe(manifest.monitors[1]);
    const reloaded = { monitors: [monitorSpec({ id: "c" })] };
    expect([...monitorsById(reloaded).keys()]).toEqual(["c"]);
    expect(monitorsById(manifest)).toBe(index);
  });
});
