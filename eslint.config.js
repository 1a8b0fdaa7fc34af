// ESLint flat config: typescript-eslint's recommended rules on the sources, tests and scripts.
// Formatting is Prettier's job (`npm run format:check`), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'build/', '.bench/', 'tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
    rules: {
      // `_`-prefixed names mark a parameter or binding that is deliberately unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }
      ]
    }
  },
  {
    files: ['__tests__/**'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    // The loopback servers and their tests parse whatever JSON a client sends and read it field by
    // field; typing every request body would add noise, not safety. The action's own code has no `any`.
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  }
);
