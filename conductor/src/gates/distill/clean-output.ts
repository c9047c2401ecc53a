// A gate's log as the runner printed it: without conductor's own lines and
// the stderr marks of output-log.ts, without colour codes, with the gate's
// directory left out of paths; and the stack frames a lesson can do without.

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** What a gate printed, from its log: conductor's `# $ command` and `# ended:` lines dropped, stderr's `! ` mark removed. */
export function gateOutput(log: string): string {
  return log
    .split('\n')
    .filter((line) => !/^# (\$ |ended: |log truncated at )/.test(line))
    .map((line) => (line.startsWith('! ') ? line.slice(2) : line === '!' ? '' : line))
    .join('\n');
}

/** The output's lines, uncoloured, with `cwd` (and its file:// form) left out of paths. */
export function outputLines(output: string, cwd?: string): string[] {
  let text = stripAnsi(output).replace(/\r\n?/g, '\n');
  if (cwd) {
    const dir = cwd.replace(/\/+$/, '');
    text = text.split(`file://${dir}/`).join('').split(`${dir}/`).join('');
  }
  return text.split('\n').map((line) => line.trimEnd());
}

/** A line that is only a stack frame: JavaScript's `at …`, TAP's `fn (file:1:2)`, Rust's and Go's backtraces. */
export function isStackFrame(line: string): boolean {
  const t = line.trim();
  return (
    /^at (?:async )?\S.*(?::\d+(?::\d+)?\)?|\(<anonymous>\)|\(native\))$/.test(t) ||
    /^(?:async )?[\w$.<>[\] ]+ \((?:node:|file:|\/|[\w.-]+\/).*:\d+(?::\d+)?\)$/.test(t) ||
    /^(?:async )?node:[\w/]+:\d+:\d+$/.test(t) ||
    /^\d+: (?:0x[0-9a-f]+ - )?[\w:<>{} ,[\]&()-]+$/.test(t) ||
    /^at (?:\/rustc\/|\.\/|\/)\S+:\d+:\d+$/.test(t) ||
    /^\/\S+\.go:\d+(?: \+0x[0-9a-f]+)?$/.test(t) ||
    /^[\w./*()-]+\([^)]*\)$/.test(t) ||
    /^created by \S+(?: in goroutine \d+)?$/.test(t)
  );
}

/** The first file:line:col a stack names that is the project's own (not node's, not a dependency's). */
export function projectFrame(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const match = /(?:\(|at |^\s*)((?!node:)[^\s()]+?:\d+:\d+)\)?$/.exec(line.trim());
    if (match && isStackFrame(line) && !/^(?:\/|node:|internal\/)|node_modules\//.test(match[1]!)) return match[1];
  }
  return undefined;
}

/** The last lines worth reading when no runner's format was recognised: no stack frames, no blank lines. */
export function cleanTail(lines: readonly string[], count: number): string[] {
  return lines.filter((line) => line.trim() !== '' && !isStackFrame(line)).slice(-count);
}
