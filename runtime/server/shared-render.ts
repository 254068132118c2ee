/**
 * How long after a render ends, in multiples of what it took, asks get that render again. A render
 * then holds the event loop at most about 1 / (1 + RENDER_SHARE) of the time however many ask.
 */
const RENDER_SHARE = 4;
/** The longest a render is given again: one that waited on a stalled Redis took long without holding the loop. */
const MAX_REUSE_MS = 10_000;

/**
 * A render anyone may ask for whose cost grows with the project (`/metrics` holds every monitor's
 * series: 0.7 s at 5,000 monitors on a busy machine), made shareable: asks while one renders wait
 * for it, and asks within RENDER_SHARE times its duration after it ended get it again. A flood of
 * asks then leaves the event loop to the ticks, the pages and the probes, while an ask now and then
 * (a scrape every 15 s) always gets a fresh render; a small project's render of a few milliseconds
 * is reused for a few milliseconds. A failed render is not kept. Time is an argument.
 */
export function sharedRender<T>(render: () => Promise<T>, now: () => number = () => performance.now()): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  let last: { value: T; until: number } | null = null;
  return () => {
    if (inFlight) return inFlight;
    const started = now();
    if (last && started < last.until) return Promise.resolve(last.value);
    const current = (async () => render())();
    inFlight = current;
    // Settled before any asker resumes: the next ask sees the kept render, never a finished one as in flight.
    current.then(
      (value) => {
        const ended = now();
        last = { value, until: ended + Math.min((ended - started) * RENDER_SHARE, MAX_REUSE_MS) };
        inFlight = null;
      },
      () => {
        last = null;
        inFlight = null;
      },
    );
    return current;
  };
}
