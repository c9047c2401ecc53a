// eslint's stylish formatter: a file's path, then `  line:col  error  message  rule`.
// Errors are the lesson; warnings only when there is no error (--max-warnings).
import type { Distiller, Failure } from './types.js';

const PROBLEM = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*?)(?:\s{2,}(@?[\w-]+(?:\/[\w-]+)*))?$/;

export const eslint: Distiller = {
  format: 'eslint',
  matches: (lines) => lines.some((l) => /^✖ \d+ problems? \(\d+ errors?, \d+ warnings?\)$/.test(l)),
  failures(lines) {
    const found: (Failure & { severity: string })[] = [];
    let file: string | undefined;
    for (const line of lines) {
      if (/^\S/.test(line)) file = /^✖ /.test(line) ? undefined : line.trim();
      const m = PROBLEM.exec(line);
      if (!m || !file) continue;
      found.push({ check: m[5] ?? m[3]!, location: `${file}:${m[1]}:${m[2]}`, message: [m[4]!], severity: m[3]! });
    }
    const errors = found.filter((f) => f.severity === 'error');
    return (errors.length ? errors : found).map(({ severity: _, ...failure }) => failure);
  },
};
