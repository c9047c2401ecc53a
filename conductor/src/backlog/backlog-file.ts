// Reading and writing tasks/BACKLOG.yaml as a file. A write never overwrites a
// human's concurrent edit: the file is re-read right before the atomic rename
// and the change is re-applied if it moved underneath us.
import { readFileSync } from 'node:fs';
import { ConductorError, messageOf } from '../errors.js';
import { writeFileAtomically } from '../state/atomic-write.js';

// Read synchronously: the file is small and it is read before every scheduling decision and twice per
// transition; the async read's thread-pool round trip cost fifteen times as much.
export async function readBacklogText(path: string): Promise<string> {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConductorError('INPUT_INVALID', `cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
}

/** One edit at a time per file in this process: concurrent tasks' transitions must not lose each other's update. */
const editing = new Map<string, Promise<unknown>>();

/** Apply `edit` to the current text and write the result atomically; returns the written text. */
export async function editBacklogFile(path: string, edit: (text: string) => string): Promise<string> {
  const previous = editing.get(path) ?? Promise.resolve();
  const next = previous.then(() => editOnce(path, edit));
  editing.set(path, next.catch(() => undefined));
  return next;
}

async function editOnce(path: string, edit: (text: string) => string): Promise<string> {
  for (let tries = 0; tries < 5; tries++) {
    const before = await readBacklogText(path);
    const after = edit(before);
    if (after === before) return before;
    const now = await readBacklogText(path);
    if (now !== before) continue; // a human saved in between: start again from their version
    await writeFileAtomically(path, after);
    return after;
  }
  throw new ConductorError('IO', `${path} keeps changing while conductor tries to update it`, { hint: 'save your edits and try again' });
}
