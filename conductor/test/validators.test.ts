import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compiledAtRuntime, validatorFor } from '../src/schema/validators.js';
import { parseYaml } from '../src/yaml/load-yaml.js';

describe('precompiled validators', () => {
  it('are used, and report exactly what a runtime-compiled schema reports', () => {
    const text = readFileSync(new URL('../../examples/rate-limiter/BACKLOG.yaml', import.meta.url), 'utf8');
    const good = parseYaml(text, 'f').value;
    const bad = parseYaml(text.replace('depends_on: [T01]', 'depends-on: T01').replace('status: pending', 'status: 3'), 'f').value;
    const precompiled = validatorFor('backlog') as { schemaHash?: string };
    expect(precompiled.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    const runtime = compiledAtRuntime('backlog');
    for (const value of [good, bad]) {
      const a = validatorFor('backlog');
      const okA = a(value);
      const errorsA = JSON.stringify(a.errors);
      const okB = runtime(value);
      expect(okA).toBe(okB);
      expect(errorsA).toBe(JSON.stringify(runtime.errors));
    }
  });
});
