// executor.providerCaps, held by the coordinator: no more of a provider's
// attempts are live (queued or running on any worker) than its cap. pg-boss's
// group concurrency caps the workers too, but it counts a group's active jobs
// in the same query that claims the next one, without a lock: two fetches at
// one moment both see room (one worker with --concurrency 2 took two attempts
// under a cap of 1), and a worker that started before the caps were published
// fetches uncapped until it reads them. The coordinator sends every attempt, so
// it can hold the cap exactly, for its own run; several coordinators sharing
// workers each hold theirs (docs/distributed.md).

export class ProviderSlots {
  private readonly live = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(private readonly caps: Readonly<Record<string, number>>) {}

  /**
   * A slot of `provider`, taken when one is free: a release function (call it once), or undefined when
   * `signal` aborted first. `onWait` is called once if the slot is not free at once.
   */
  async take(provider: string, signal?: AbortSignal, onWait?: (cap: number) => void): Promise<(() => void) | undefined> {
    const cap = this.caps[provider];
    if (cap === undefined) return () => undefined;
    if (signal?.aborted) return undefined;
    if ((this.live.get(provider) ?? 0) >= cap) {
      onWait?.(cap);
      const freed = await new Promise<boolean>((resolve) => {
        const wake = () => {
          signal?.removeEventListener('abort', abort);
          resolve(true);
        };
        const abort = () => {
          const queue = this.waiters.get(provider) ?? [];
          queue.splice(queue.indexOf(wake), 1);
          resolve(false);
        };
        signal?.addEventListener('abort', abort, { once: true });
        this.waiters.set(provider, [...(this.waiters.get(provider) ?? []), wake]);
      });
      if (!freed) return undefined;
      // A released slot was handed to this waiter directly: the count did not drop in between.
    } else {
      this.live.set(provider, (this.live.get(provider) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.get(provider)?.shift();
      if (next) next(); // the slot passes on, the count stays
      else this.live.set(provider, (this.live.get(provider) ?? 1) - 1);
    };
  }

  /** Attempts of `provider` live now (tests). */
  liveOf(provider: string): number {
    return this.live.get(provider) ?? 0;
  }
}
