// Backlog texts for tests.
export function task(id: string, extra = ''): string {
  return `  - id: ${id}
    title: Task ${id}
    description: Do ${id}.
    acceptance: [it works]
    scope: { files_hint: [src/${id.toLowerCase()}.ts] }
${extra}`;
}

export function backlog(...tasks: string[]): string {
  return `version: 1\nfeature: demo\ntasks:\n${tasks.join('')}`;
}
