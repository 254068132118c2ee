/**
 * A FIFO queue that runs at most `concurrency` tasks at once. Tasks are the scheduler's ticks; each
 * is bounded by its check's deadline, so a slot always comes back.
 */
export class WorkQueue {
  private readonly waiting: Array<(() => Promise<void>) | undefined> = [];
  private head = 0;
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new Error(`concurrency must be at least 1, got ${concurrency}`);
  }

  push(task: () => Promise<void>): void {
    this.waiting.push(task);
    this.pump();
  }

  /** Tasks started and not finished. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Drops tasks that have not started (shutdown). */
  clearWaiting(): number {
    const dropped = this.queued;
    this.waiting.length = 0;
    this.head = 0;
    this.notifyIdle();
    return dropped;
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.head < this.waiting.length) {
      const task = this.waiting[this.head]!;
      // Let go of a started task at once: held until the next splice, every closure outlived the young generation.
      this.waiting[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      void task()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
          this.notifyIdle();
        });
    }
  }

  private notifyIdle(): void {
    if (this.running !== 0 || this.queued !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
