// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The import boundaries (CONTRIBUTING.md, "Layout"), enforced:
 * - providers import only the provider kit (src/provider-kit.ts, `spence/provider`), never the
 *   root entry, core internals or another provider;
 * - the core imports no provider: only src/default-providers.ts assembles the built-in ones;
 * - src/demux is pure: nothing from HTTP, resolution, players or I/O modules.
 * The graph of src/ and providers/ is also kept free of cycles, by scripts/check-cycles.mjs
 * (`npm run lint` runs both).
 */
const providerBoundary = {
  'no-restricted-imports': ['error', {
    patterns: [
      { regex: '^\\.\\./\\.\\./src/(?!provider-kit\\.js$)', message: 'Providers import only the provider kit: ../../src/provider-kit.js' },
      { regex: '^\\.\\./(?!\\.\\./src/provider-kit\\.js$)', message: 'A provider never imports another provider\'s internals or core modules; use ../../src/provider-kit.js' },
      { regex: '^(spence)(/.*)?$', message: 'Import the provider kit by relative path (../../src/provider-kit.js) inside this repo' },
    ],
  }],
};

const coreBoundary = {
  'no-restricted-imports': ['error', {
    patterns: [
      { regex: '(^|/)providers/', message: 'The core imports no provider: the built-in ones are assembled in src/default-providers.ts' },
    ],
  }],
};

const demuxForbidden = [
  { regex: '^(node:)?(http|https|net|tls|dns|fs|fs/promises|child_process)$', message: 'src/demux is pure: no I/O modules' },
  { regex: '^(undici|nock|lru-cache|youtubei\\.js)$', message: 'src/demux knows nothing about HTTP or resolution' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench-out/**', 'api-docs/**', 'fixtures/**'] },
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
  { files: ['src/**/*.ts'], ignores: ['src/default-providers.ts', 'src/demux/**'], rules: coreBoundary },
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
