// One worker limit shared by several projects (`conductor factory
// --projects`), fairly: a free slot goes to the waiting project with the
// fewest tasks running (ties: the one that waited longest), so a project with
// a long backlog cannot starve one with a short one, and no slot stays idle
// while any project has a task ready (work-conserving). A project's own
// `concurrency` still caps it. No project gets a slot before every project has
// said how much it wants once, so the first starts are fair too.

export class SlotPool {
  private readonly running = new Map<string, number>();
  /** Ready tasks each project could start now (undefined: it has not said yet). */
  private readonly wanted = new Map<string, number | undefined>();
  /** When each project last got a slot (its turn in a tie). */
  private readonly lastGrant = new Map<string, number>();
  private grants = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly limit: number,
    projects: readonly string[],
  ) {
    for (const project of projects) {
      this.running.set(project, 0);
      this.wanted.set(project, undefined);
      this.lastGrant.set(project, -1);
    }
  }

  /** Slots in use across every project. */
  get inUse(): number {
    let total = 0;
    for (const n of this.running.values()) total += n;
    return total;
  }

  runningOf(project: string): number {
    return this.running.get(project) ?? 0;
  }

  /**
   * `project` has `ready` tasks it could start now: how many it may start,
   * handing out the free slots one at a time to the waiting project with the
   * fewest running. Records the demand, so others see it when slots free up.
   */
  grant(project: string, ready: number): number {
    const before = this.wanted.get(project);
    this.wanted.set(project, ready);
    if (before !== ready) this.wake(); // a new demand (or a first one) may change who gets the next slot
    if (ready === 0 || [...this.wanted.values()].some((w) => w === undefined)) return 0;
    const free = this.limit - this.inUse;
    const share = new Map<string, number>();
    const load = new Map(this.running);
    for (let slot = 0; slot < free; slot++) {
      const next = [...this.wanted]
        .filter(([p, w]) => (w ?? 0) > (share.get(p) ?? 0))
        .sort(([a], [b]) => load.get(a)! - load.get(b)! || this.lastGrant.get(a)! - this.lastGrant.get(b)! || a.localeCompare(b))[0];
      if (!next) break;
      share.set(next[0], (share.get(next[0]) ?? 0) + 1);
      load.set(next[0], load.get(next[0])! + 1);
    }
    return share.get(project) ?? 0;
  }

  /** A task of `project` starts: it holds a slot until `release`. */
  take(project: string): void {
    this.running.set(project, this.runningOf(project) + 1);
    this.wanted.set(project, Math.max(0, (this.wanted.get(project) ?? 1) - 1));
    this.lastGrant.set(project, this.grants++);
  }

  release(project: string): void {
    this.running.set(project, Math.max(0, this.runningOf(project) - 1));
    this.wake();
  }

  /** The project wants nothing for now (between specs, or done): others may have its share. */
  idle(project: string): void {
    this.wanted.set(project, 0);
    this.wake();
  }

  /** Resolves at the next change that could free a slot for someone. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** One project's handle on a shared pool. */
export interface PoolMember {
  pool: SlotPool;
  project: string;
}
