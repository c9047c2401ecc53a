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

/** A one-line task that asks for src/<id>.ts, the file the scripted agent writes by default. */
export function writeTask(id: string, title: string, dependsOn: readonly string[] = []): string {
  const deps = dependsOn.length > 0 ? ` depends_on: [${dependsOn.join(', ')}],` : '';
  return `  - { id: ${id}, title: ${title}, description: Write src/${id}.ts.,${deps} acceptance: [it exists], scope: { files_hint: [src/${id}.ts] } }\n`;
}
