// The worker limit several projects share (factory --projects): fair, work-conserving, and fair from the first start.
import { describe, expect, it } from 'vitest';
import { SlotPool } from '../src/scheduler/slot-pool.js';

describe('SlotPool', () => {
  it('gives nothing until every project has said what it wants, then splits the slots evenly', () => {
    const pool = new SlotPool(4, ['api', 'web']);
    expect(pool.grant('api', 10)).toBe(0); // web has not said yet
    expect(pool.grant('web', 10)).toBe(2);
    for (let i = 0; i < 2; i++) pool.take('web');
    expect(pool.grant('api', 10)).toBe(2);
    for (let i = 0; i < 2; i++) pool.take('api');
    expect([pool.inUse, pool.grant('api', 8), pool.grant('web', 8)]).toEqual([4, 0, 0]);
  });

  it('hands a freed slot to the waiting project with the fewest running, whoever asks first', () => {
    const pool = new SlotPool(3, ['api', 'web']);
    pool.grant('api', 5);
    pool.grant('web', 5);
    pool.take('api');
    pool.take('api');
    pool.take('web');
    pool.release('api'); // api 1, web 1 running: a tie goes to the one whose last slot came first (api's)
    expect(pool.grant('web', 4)).toBe(0);
    expect(pool.grant('api', 4)).toBe(1);
    pool.take('api');
    pool.release('api'); // api 1, web 1 again; web's turn now
    expect(pool.grant('api', 3)).toBe(0);
    expect(pool.grant('web', 4)).toBe(1);
    pool.take('web');
    pool.release('api'); // api 0, web 2: api, even though web asks first
    expect(pool.grant('web', 3)).toBe(0);
    expect(pool.grant('api', 3)).toBe(1);
  });

  it('never leaves a slot idle while some project has a task ready', () => {
    const pool = new SlotPool(4, ['api', 'web', 'docs']);
    pool.grant('docs', 0);
    pool.grant('web', 1);
    expect(pool.grant('api', 9)).toBe(3); // web takes one, api the rest
    pool.idle('web');
    expect(pool.grant('api', 9)).toBe(4);
  });

  it('wakes waiting projects when a slot frees or a demand changes', async () => {
    const pool = new SlotPool(1, ['api', 'web']);
    let woke = 0;
    void pool.changed().then(() => woke++);
    pool.grant('api', 1); // a first demand
    await Promise.resolve();
    expect(woke).toBe(1);
    void pool.changed().then(() => woke++);
    pool.grant('api', 1); // the same demand again: nothing new
    await Promise.resolve();
    expect(woke).toBe(1);
    pool.release('api');
    await Promise.resolve();
    expect(woke).toBe(2);
  });
});
