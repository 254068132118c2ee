import { describe, expect, it } from "vitest";
import { sharedRender } from "./shared-render.js";

describe("shared renders", () => {
  it("give a render to the asks while it runs and for four times its duration after, at most 10 s, and never keep a failure", async () => {
    let now = 0;
    let renders = 0;
    let fail = false;
    let took = 100;
    const render = sharedRender(async () => {
      renders++;
      now += took;
      if (fail) throw new Error("store down");
      return renders;
    }, () => now);
    expect(await Promise.all([render(), render(), render()])).toEqual([1, 1, 1]);
    now += 399;
    expect(await render()).toBe(1);
    now += 1;
    expect(await render()).toBe(2);
    // A render that waited 30 s on a stalled store is given again for 10 s, not 2 minutes.
    took = 30_000;
    now += 1_000;
    expect(await render()).toBe(3);
    now += 9_999;
    expect(await render()).toBe(3);
    now += 1;
    took = 100;
    fail = true;
    await expect(render()).rejects.toThrow("store down");
    fail = false;
    expect(await render()).toBe(5);
  });
});
