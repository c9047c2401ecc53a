// executor.providerCaps as the coordinator holds them (provider-slots.ts): never more of a provider's
// attempts live than its cap, a freed slot passes to the next waiter in order, Ctrl-C while waiting.
import { describe, expect, it } from 'vitest';
import { ProviderSlots } from '../src/executor/provider-slots.js';

describe('provider slots', () => {
  it('hold a cap of 1 over five attempts started at once, in the order they asked, and leave uncapped providers alone', async () => {
    const slots = new ProviderSlots({ claude: 1 });
    const order: string[] = [];
    let live = 0;
    let most = 0;
    const waited: string[] = [];
    const attempt = async (id: string) => {
      const release = await slots.take('claude', undefined, () => waited.push(id));
      live++;
      most = Math.max(most, live);
      order.push(id);
      await new Promise((r) => setTimeout(r, 5));
      live--;
      release!();
      release!(); // a second call is nothing
    };
    await Promise.all(['T1', 'T2', 'T3', 'T4', 'T5'].map(attempt));
    expect(most).toBe(1);
    expect(order).toEqual(['T1', 'T2', 'T3', 'T4', 'T5']);
    expect(waited).toEqual(['T2', 'T3', 'T4', 'T5']);
    expect(slots.liveOf('claude')).toBe(0);
    const free = await Promise.all([slots.take('codex'), slots.take('codex'), slots.take('codex')]);
    expect(free.every((release) => typeof release === 'function')).toBe(true);
    expect(slots.liveOf('codex')).toBe(0);
  });

  it('gives up a wait when the run is stopped, and the slot goes to the next waiter', async () => {
    const slots = new ProviderSlots({ claude: 2 });
    const first = (await slots.take('claude'))!;
    await slots.take('claude');
    const stop = new AbortController();
    const stopped = slots.take('claude', stop.signal);
    const next = slots.take('claude');
    stop.abort();
    expect(await stopped).toBeUndefined();
    first();
    expect(typeof (await next)).toBe('function');
    expect(slots.liveOf('claude')).toBe(2);
    expect(await slots.take('claude', AbortSignal.abort())).toBeUndefined();
  });
});
