// The diff a reviewer sees, within a byte budget (24 KB by default): whole
// files while they fit, smaller files first, and a note naming every file
// that was cut or left out.
export interface FileDiff {
  path: string;
  text: string;
}

export interface BudgetedDiff {
  text: string;
  /** Empty when nothing was left out. */
  note: string;
  omitted: string[];
  truncated: string[];
}

/** Split `git diff` output into per-file chunks. */
export function splitDiff(diff: string): FileDiff[] {
  const parts = diff.split(/^(?=diff --git )/m).filter((part) => part.startsWith('diff --git '));
  return parts.map((text) => ({ path: /^diff --git a\/(.+?) b\//.exec(text)?.[1] ?? '?', text }));
}

export function budgetDiff(diff: string, budgetBytes: number): BudgetedDiff {
  const files = splitDiff(diff);
  const bySize = [...files].sort((a, b) => Buffer.byteLength(a.text) - Buffer.byteLength(b.text));
  const kept = new Map<string, string>();
  const truncated: string[] = [];
  const omitted: string[] = [];
  let left = budgetBytes;
  for (const file of bySize) {
    const size = Buffer.byteLength(file.text);
    if (size <= left) {
      kept.set(file.path, file.text);
      left -= size;
    } else if (left > 400) {
      const cut = file.text.slice(0, left - 100);
      kept.set(file.path, `${cut.slice(0, cut.lastIndexOf('\n') + 1)}… (${file.path}: the rest of this file's diff was cut)\n`);
      truncated.push(file.path);
      left = 0;
    } else {
      omitted.push(file.path);
    }
  }
  const text = files.filter((f) => kept.has(f.path)).map((f) => kept.get(f.path)!).join('');
  const parts = [truncated.length ? `cut: ${truncated.join(', ')}` : '', omitted.length ? `left out: ${omitted.join(', ')}` : ''].filter(Boolean);
  return { text, note: parts.join('; '), omitted, truncated };
}
