// A count of free slots that callers wait on in order: a freed slot passes to
// the longest waiter, and a wait ends early (with no slot) when its signal aborts.

export class Slots {
  private waiting: (() => void)[] = [];

  constructor(private free: number) {}

  /** Slots free now. */
  get available(): number {
    return this.free;
  }

  /** A slot if one is free now, without waiting. */
  tryTake(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  /** Wait for a slot (true), or until `signal` aborts (false: none taken). */
  async take(signal?: AbortSignal): Promise<boolean> {
    if (this.tryTake()) return true;
    if (signal?.aborted) return false;
    return new Promise<boolean>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', gone);
        resolve(true);
      };
      const gone = () => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(false);
      };
      this.waiting.push(done);
      signal?.addEventListener('abort', gone, { once: true });
    });
  }

  /** Give a slot back: to the longest waiter, else to the free count. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
