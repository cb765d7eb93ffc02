// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The import boundaries from DEVELOPERS.md, enforced:
 * - providers import only the package's public entry (src/index.ts), never core internals or
 *   another provider;
 * - src/demux is pure: nothing from HTTP, resolution, players or I/O modules.
 */
const providerBoundary = {
  'no-restricted-imports': ['error', {
    patterns: [
      { regex: '^\\.\\./\\.\\./src/(?!index\\.js$)', message: 'Providers import only the public entry: ../../src/index.js' },
      { regex: '^\\.\\./(?!\\.\\./src/index\\.js$)', message: 'A provider never imports another provider\'s internals or core modules; use ../../src/index.js' },
      { regex: '^(spence)(/.*)?$', message: 'Import the public entry by relative path (../../src/index.js) inside this repo' },
    ],
  }],
};

const demuxForbidden = [
  { regex: '^(node:)?(http|https|net|tls|dns|fs|fs/promises|child_process)$', message: 'src/demux is pure: no I/O modules' },
  { regex: '^(undici|nock|lru-cache|youtubei\\.js)$', message: 'src/demux knows nothing about HTTP or resolution' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench-out/**', 'fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  { files: ['providers/**/*.ts'], rules: providerBoundary },
  {
    files: ['src/demux/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^\\.\\./(?!errors\\.js$)', message: 'src/demux imports nothing outside src/demux but ../errors.js' },
          ...demuxForbidden,
        ],
      }],
    },
  },
  {
    files: ['src/demux/*/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^\\.\\./\\.\\./(?!errors\\.js$)', message: 'src/demux imports nothing outside src/demux but ../../errors.js' },
          ...demuxForbidden,
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
