// Lint rules that enforce the house style (STYLE.md): only the CLI layer talks
// to the console or decides the exit code; no shell strings; no `any` escapes.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'worktrees/', '.conductor/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Set process.exitCode at the CLI boundary instead (STYLE.md §2).' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'node:child_process', importNames: ['exec', 'execSync'], message: 'Use the execa wrapper with an argument array; never a shell string.' }] }],
    },
  },
  {
    // Fixtures are stand-alone processes (fake agents, lock holders): they own their exit.
    files: ['conductor/test/fixtures/**'],
    languageOptions: { globals: { setInterval: 'readonly' } },
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The dashboard's page runs in the browser.
    files: ['conductor/ui/**'],
    languageOptions: { globals: { document: 'readonly', location: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly', setInterval: 'readonly', EventSource: 'readonly', requestAnimationFrame: 'readonly', alert: 'readonly' } },
  },
  {
    files: ['conductor/src/**/*.ts'],
    ignores: ['conductor/src/cli/**'],
    rules: { 'no-console': 'error' },
  },
);
