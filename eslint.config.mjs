import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Framework and I/O stay out of the domain: deciders and projections are pure functions of
// their inputs, so they can be specified with given/when/then tests and replayed anywhere.
const ioModules = [
  '@nestjs/*',
  'kafkajs',
  'mongodb',
  'ioredis',
  'pg',
  'socket.io',
  'socket.io-client',
  '@socket.io/*',
  '@eventstore/*',
  '@kurrent/*',
  'testcontainers',
  '@testcontainers/*',
  '@opentelemetry/*',
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  '@chat/runtime',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ioModules,
              message: 'domain/ holds pure logic: no framework or I/O imports (adapters live outside domain/).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
