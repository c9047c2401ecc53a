// Processes as /proc sees them, for tests that check nothing was left running.
import { readFileSync } from 'node:fs';

/** Running, not a zombie waiting for a parent to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
