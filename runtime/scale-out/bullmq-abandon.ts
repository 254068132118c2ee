/**
 * Lets go of a BullMQ worker or queue whose close() cannot finish. BullMQ's close waits for its
 * connections to be ready and for running jobs, so with Redis gone or refusing the password it
 * never returns, while its lock-renewal and stalled-check timers and reconnecting sockets keep the
 * process alive after a stop. BullMQ offers no close that gives up, so this reaches private
 * fields (`connection` and `blockingConnection`, each a RedisConnection holding `_client`;
 * `lockManager`; `stalledCheckStopper`); a field a BullMQ version renames is skipped, never an error.
 */
export function abandonBullmq(part: object): void {
  const fields = part as Record<string, unknown>;
  for (const name of ["connection", "blockingConnection"]) {
    const client = (fields[name] as { _client?: { disconnect?: unknown } } | undefined)?._client;
    if (client && typeof client.disconnect === "function") (client as { disconnect(): void }).disconnect();
  }
  const lockManager = fields["lockManager"] as { close?: unknown } | undefined;
  if (lockManager && typeof lockManager.close === "function") void (lockManager as { close(): Promise<void> }).close().catch(() => undefined);
  const stopStalledCheck = fields["stalledCheckStopper"];
  if (typeof stopStalledCheck === "function") (stopStalledCheck as () => void).call(part);
}

/** True when `work` settles within `ms`. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([work.then(() => true, () => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return settled;
}

/** Resolves once `holds()` is true (asked every `everyMs`), unless cancelled first. */
export function whenTrue(holds: () => boolean, everyMs: number): { done: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    const look = () => {
      if (holds()) return resolve();
      timer = setTimeout(look, everyMs);
    };
    look();
  });
  return { done, cancel: () => clearTimeout(timer) };
}
