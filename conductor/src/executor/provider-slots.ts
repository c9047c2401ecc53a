// executor.providerCaps, held by the coordinator: no more of a provider's
// attempts are live (queued or running on any worker) than its cap. pg-boss's
// group concurrency caps the workers too, but it counts a group's active jobs
// in the same query that claims the next one, without a lock: two fetches at
// one moment both see room (one worker with --concurrency 2 took two attempts
// under a cap of 1), and a worker that started before the caps were published
// fetches uncapped until it reads them. The coordinator sends every attempt, so
// it can hold the cap exactly, for its own run; several coordinators sharing
// workers each hold theirs (docs/distributed.md).

import { Slots } from '../util/slots.js';

export class ProviderSlots {
  private readonly slots = new Map<string, Slots>();

  constructor(private readonly caps: Readonly<Record<string, number>>) {}

  /**
   * A slot of `provider`, taken when one is free: a release function (call it once), or undefined when
   * `signal` aborted first. `onWait` is called once if the slot is not free at once.
   */
  async take(provider: string, signal?: AbortSignal, onWait?: (cap: number) => void): Promise<(() => void) | undefined> {
    const cap = this.caps[provider];
    if (cap === undefined) return () => undefined;
    if (signal?.aborted) return undefined;
    let slots = this.slots.get(provider);
    if (!slots) this.slots.set(provider, (slots = new Slots(cap)));
    if (!slots.tryTake()) {
      onWait?.(cap);
      if (!(await slots.take(signal))) return undefined;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slots.give(); // to the next waiter in order, else free
    };
  }

  /** Attempts of `provider` live now (tests). */
  liveOf(provider: string): number {
    const slots = this.slots.get(provider);
    return slots ? this.caps[provider]! - slots.available : 0;
  }
}
