// ESLint 9 flat config. Formatting belongs to Prettier (eslint-config-prettier, last, turns the
// formatting rules off); ESLint is here for the rules that find bugs.
//
// src/ gets typescript-eslint's strictTypeChecked, tuned below. test/ and bench/ get the
// syntactic `strict` set plus the few type-aware rules that catch real test bugs (a promise
// nobody awaits, an await on a non-promise): the rest of the strict type-aware set would mostly
// flag what tests do on purpose (poke into parsed JSON, `!` after an assertion, pass `assert.*`
// around; 972 node:test calls, 209 numbers in templates, 114 methods passed as values), and
// it adds half again to lint time (35 s for src/ alone, 52 s with strictTypeChecked everywhere).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const typeAware = {
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
};

// node:test's test()/describe()/it() return promises the runner awaits itself.
const nodeTestCalls = {
  from: 'package',
  package: 'node:test',
  name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
};

// Rules on for every TypeScript file.
const common = {
  eqeqeq: ['error', 'always'],
  // `let server; t.after(() => server?.stop()); server = await start()` is the cleanup idiom.
  'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
  'no-control-regex': 'off', // the regexes it flags exist to find control characters in untrusted text
  '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
  '@typescript-eslint/no-import-type-side-effects': 'error',
  '@typescript-eslint/no-unused-vars': [
    'error',
    { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
  ],
  '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTestCalls] }],
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.attestry/', 'coverage/'] },
  js.configs.recommended,

  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    ...typeAware,
    rules: {
      ...common,
      'no-console': 'error', // the CLI prints through src/cli/output.ts, the server through its logger
      // Numbers in messages are what a template literal is for; objects and undefined stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // With noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the idiom (61 sites).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => done()` callbacks are clear; the rule would make every one a block.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Fastify handlers are async by contract (a sync one must call reply.send itself).
      '@typescript-eslint/require-await': 'off',
      // Passing on what a catch caught is not inventing a non-Error rejection.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: 'only-allowed-literals' }],
    },
  },
  { files: ['src/cli/output.ts'], rules: { 'no-console': 'off' } },

  // The web console (browser code, its own tsconfig with the DOM): the same strict type-aware set as src/.
  {
    files: ['console/src/**/*.{ts,tsx}'],
    extends: [...tseslint.configs.strictTypeChecked],
    ...typeAware,
    rules: {
      ...common,
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },

  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    extends: [...tseslint.configs.strict],
    ...typeAware,
    rules: {
      ...common,
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off', // `!` after an assertion that proved it
    },
  },

  // This file and any other plain JavaScript: no type information.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },

  prettier,
);
