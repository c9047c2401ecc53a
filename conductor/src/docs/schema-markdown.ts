// Markdown reference pages generated from the shipped JSON Schemas, so the
// docs can never drift from what the validator enforces.
type Schema = Record<string, unknown>;

export interface SchemaPage {
  title: string;
  source: string;
  intro: string;
  example?: string;
}

export function renderSchemaMarkdown(schema: Schema, page: SchemaPage): string {
  const rows: string[] = [];
  walk(schema, schema, '', rows);
  const lines = [
    `# ${page.title}`,
    '',
    `<!-- Generated from ${page.source} by \`npm run docs\`. Do not edit by hand. -->`,
    '',
    page.intro,
    '',
  ];
  if (page.example) lines.push('## Example', '', '```yaml', page.example.trimEnd(), '```', '');
  lines.push('## Keys', '', 'Unknown keys are errors (with a did-you-mean).', '', '| key | type | required | default | description |', '| --- | --- | --- | --- | --- |', ...rows, '');
  return lines.join('\n');
}

function walk(root: Schema, node: Schema, path: string, rows: string[]): void {
  const resolved = resolve(root, node);
  const props = resolved.properties as Record<string, Schema> | undefined;
  const requiredKeys = new Set((resolved.required as string[] | undefined) ?? []);
  if (props) {
    for (const [key, child] of Object.entries(props)) {
      const childPath = path ? `${path}.${key}` : key;
      const merged = { ...resolve(root, child), ...withoutRef(child) };
      rows.push(row(root, childPath, merged, requiredKeys.has(key)));
      descend(root, merged, childPath, rows);
    }
  }
  const additional = resolved.additionalProperties;
  if (additional && typeof additional === 'object') {
    const childPath = `${path}.<name>`;
    const merged = resolve(root, additional as Schema);
    rows.push(row(root, childPath, merged, false));
    descend(root, merged, childPath, rows);
  }
}

function descend(root: Schema, node: Schema, path: string, rows: string[]): void {
  if (node.type === 'object') walk(root, node, path, rows);
  if (node.type === 'array' && node.items) {
    const items = resolve(root, node.items as Schema);
    if (items.type === 'object') walk(root, items, `${path}[]`, rows);
  }
}

function row(root: Schema, path: string, node: Schema, required: boolean): string {
  const cells = [`\`${path}\``, typeOf(root, node), required ? 'yes' : '', defaultOf(node), escape(String(node.description ?? ''))];
  return `| ${cells.join(' | ')} |`;
}

function typeOf(root: Schema, node: Schema): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (Array.isArray(node.enum)) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array') {
    const items = resolve(root, (node.items as Schema | undefined) ?? {});
    return `list of ${typeOf(root, items)}`;
  }
  const type = Array.isArray(node.type) ? node.type.join(' or ') : String(node.type ?? 'any');
  if (node.pattern === '\\S') return 'non-empty string';
  const pattern = typeof node.pattern === 'string' ? ` matching \`${node.pattern}\`` : '';
  const range = [node.minimum !== undefined ? `≥ ${String(node.minimum)}` : '', node.exclusiveMinimum !== undefined ? `> ${String(node.exclusiveMinimum)}` : '', node.maximum !== undefined ? `≤ ${String(node.maximum)}` : ''].filter(Boolean).join(', ');
  return escape(`${type === 'object' ? 'mapping' : type}${pattern}${range ? ` (${range})` : ''}`);
}

function defaultOf(node: Schema): string {
  return node.default === undefined ? '' : `\`${JSON.stringify(node.default)}\``;
}

function resolve(root: Schema, node: Schema): Schema {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = ref.replace('#/$defs/', '');
  const target = ((root.$defs as Record<string, Schema> | undefined) ?? {})[name] ?? {};
  return { ...resolve(root, target), ...withoutRef(node) };
}

function withoutRef(node: Schema): Schema {
  const { $ref: _ref, ...rest } = node;
  return rest;
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
