import { describe, expect, it } from "vitest";
import { isCheckError } from "../check-error.js";
import { onAbort } from "./abort-fanout.js";
import { deadline } from "./deadline.js";

describe("deadline", () => {
  it("aborts with the parent's classified reason when the runtime shuts down", () => {
    const parent = new AbortController();
    const limit = deadline(parent.signal, 60_000, "GET http://example.test/");
    parent.abort(new Error("runtime stopping"));
    expect(limit.signal.aborted).toBe(true);
    expect(isCheckError(limit.signal.reason) && limit.signal.reason.reason).toBe("aborted");
    limit.dispose();
  });

  it("uses the parent as the deadline when the parent already aborts by then, and a timer of its own otherwise", () => {
    const parent = new AbortController();
    const soon = performance.now() + 1_000;
    expect(deadline(parent.signal, 5_000, "GET x", soon).signal).toBe(parent.signal);
    const own = deadline(parent.signal, 500, "GET x", soon);
    expect(own.signal).not.toBe(parent.signal);
    own.dispose();
  });
});

describe("onAbort", () => {
  it("calls every waiting check once when the shared signal aborts, and none that let go", () => {
    const shared = new AbortController();
    const called: string[] = [];
    onAbort(shared.signal, () => called.push("a"));
    const release = onAbort(shared.signal, () => called.push("b"));
    onAbort(shared.signal, () => called.push("c"));
    release();
    shared.abort();
    expect(called).toEqual(["a", "c"]);
    onAbort(shared.signal, () => called.push("late"));
    expect(called).toEqual(["a", "c", "late"]);
  });
});
