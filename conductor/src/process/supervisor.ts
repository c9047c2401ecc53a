// Tracks the process groups conductor started, so Ctrl-C or an exit can end
// every one of them. One per conductor run, passed down; never global.
import { signalGroup } from './kill-group.js';

export class Supervisor {
  private readonly groups = new Set<number>();

  track(pid: number): void {
    this.groups.add(pid);
  }

  untrack(pid: number): void {
    this.groups.delete(pid);
  }

  get size(): number {
    return this.groups.size;
  }

  /** Signal every tracked group (synchronous: usable from an exit handler). */
  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.groups) signalGroup(pid, signal);
  }
}
