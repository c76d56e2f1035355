// Lint rules that keep the architecture honest, on top of typescript-eslint's
// recommended set. Import direction between folders is enforced by tsconfig
// project references (a wrong import fails the build); these rules add what
// the compiler cannot see.
import tseslint from 'typescript-eslint';

const NODE_NETWORKING = ['net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'http2', 'node:http2',
  'dgram', 'node:dgram', 'tls', 'node:tls'];

export default tseslint.config(
  { ignores: ['build/**', 'dist/**', 'release/**', 'node_modules/**', 'bench/out/**', 'e2e/screenshots/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Product code never opens a socket through Node's networking modules: the engine owns every socket.
    files: ['common/**/*.ts', 'native-bridge/**/*.ts', 'server/**/*.ts', 'cli/**/*.ts'],
    // Tests and their helpers (test/ folders, outside the product build) may use Node's clients.
    ignores: ['**/*.test.ts', '**/test/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...NODE_NETWORKING.map((name) => ({ name, message: 'The product opens sockets only through native-bridge.' })),
          { name: 'electron', message: 'Code that runs under Node must not import electron (it triggers the binary download).' },
        ],
      }],
    },
  },
  {
    // common/ is plain data shared by every process: no Node, no DOM.
    files: ['common/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'koffi', 'electron', 'react'], message: 'common/ has no runtime dependencies.' }] }],
    },
  },
  {
    // main and preload never load koffi (a bad FFI call must not take the app down) nor open sockets.
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...NODE_NETWORKING.map((name) => ({ name, message: 'The product opens sockets only through the engine.' })),
          { name: 'koffi', message: 'Only the engine process loads koffi.' },
        ],
        patterns: [{ group: ['**/native-bridge', '**/native-bridge/**', '**/server/**'], message: 'main and preload talk to the engine over ports, never by importing it.' }],
      }],
    },
  },
  {
    // The renderer knows only React, common/ and the InspectorApi on window.
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx', '**/test/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'koffi', 'electron', '**/native-bridge/**', '**/server/**', '**/main/**', '**/preload/**'], message: 'The renderer talks to the rest only through InspectorApi (common/inspector-api.ts).' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
