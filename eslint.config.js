// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const frameworks = ['express', 'express/*', 'koa', 'koa/*', '@koa/*', 'fastify', 'fastify/*'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', URLSearchParams: 'readonly', DOMException: 'readonly', TextEncoder: 'readonly', Response: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The fetch adapter targets runtimes without Node's modules.
    files: ['packages/fetch/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'packages/fetch must not import node: modules (it targets Web-standard runtimes).' }] }],
    },
  },
  {
    // The core is framework-neutral: it must never import a web framework.
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: frameworks, message: 'packages/core must not import a web framework (DESIGN.md).' }] }],
    },
  },
);
