// One lint gate for the whole tree: typescript-eslint's type-aware rules (floating promises, unsafe
// `any`), Svelte, and an import-cycle check. Formatting is Prettier's job (eslint-config-prettier).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

const SQL_OWNER = 'SQL belongs to @pivot/store: use its API (or @pivot/store/testing, @pivot/store/bench).';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      '**/.svelte-kit/**',
      '**/.turbo/**',
      'data/**',
      'db/migrations/**',
      'apps/web/vite.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs['flat/recommended'],
  prettier,
  ...svelte.configs['flat/prettier'],
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    plugins: { 'import-x': importX },
    // import-x follows only .js files by default, which left no-cycle blind to this TypeScript tree.
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser },
    },
  },
  {
    files: ['apps/web/**'],
    rules: {
      // The API serves the dashboard at the root of its own origin (no kit.paths.base), so resolve()
      // would return every path unchanged.
      'svelte/no-navigation-without-resolve': 'off',
      // Big collections (10,000-span trees, their index maps) live in $state.raw and are replaced,
      // never mutated; a SvelteMap/SvelteSet would make every entry reactive for nothing.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    // Tests read JSON answers as `any` and let expect() check their shape; the unsafe-any rules would
    // only make them cast what the assertion checks anyway.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Test doubles implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // The store owns all SQL: only packages/store and db/ may reach a driver or drizzle. Everything else
  // uses the store's API (tests: @pivot/store/testing, benchmarks: @pivot/store/bench).
  // packages/store/src/sql-owner.test.ts checks for SQL text as well.
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs,svelte}'],
    // The demo shop's own database client (apps/demo/src/database.ts) is a monitored application's, not pivot's.
    ignores: ['packages/store/**', 'db/**', 'apps/demo/src/database.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['pg', 'drizzle-orm', '@electric-sql/pglite'].map((name) => ({ name, message: SQL_OWNER })),
          patterns: [{ group: ['drizzle-orm/*', '@electric-sql/pglite/*', 'pg/*'], message: SQL_OWNER }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^(pg|drizzle-orm|@electric-sql\\/pglite)(\\/|$)/]',
          message: SQL_OWNER,
        },
      ],
    },
  },
);
