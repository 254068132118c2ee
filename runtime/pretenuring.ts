import { setFlagsFromString } from "node:v8";

/**
 * Turns off V8's allocation-site pretenuring in the runtime's process. V8 watches which places in
 * the code allocate objects that survive the young generation, and past a high survival rate
 * allocates that place's objects straight into the old generation. In the runtime the places whose
 * objects survive do so in bursts (a batch of ticks finishing together, a minute's rollups), while
 * most of what they allocate dies within its check: pretenured, that garbage went to the old
 * generation, which then filled and was marked sooner. Without it, at 10,000 monitors every 10 s,
 * steady RSS was about 4 MB lower (107-110 MB against 111-114 MB in three pairs of runs taking
 * turns) and a tick took 8 % less CPU (bench/results/runtime.md, 2026-12-05). The flag is read by
 * the garbage collector as it runs; it changes where objects are allocated, nothing they do.
 */
export function allocateYoungObjectsYoung(): void {
  setFlagsFromString(NO_PRETENURING);
}

/** V8 ignores a flag it does not know without a word: the test runs this very string. */
export const NO_PRETENURING = "--no-allocation-site-pretenuring";
