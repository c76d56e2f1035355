#!/usr/bin/env node
// Runs every compiled test file (build/**/*.test.js) with Node's built-in test
// runner. Node 20's `node --test` takes files, not globs, so they are listed here.
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..', 'build');
if (!existsSync(root)) {
  console.error('run-tests: build/ is missing; run `npm run build` first');
  process.exit(1);
}
const only = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js') && (only.length === 0 || only.some((o) => path.includes(o)))) {
      // Only tests whose source still exists: a renamed or deleted test leaves its old output in build/.
      const source = join(__dirname, '..', relative(root, path)).replace(/\.js$/, '.ts');
      if (existsSync(source)) files.push(path);
    }
  }
})(root);
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// One file at a time: several engine tests bind ports and count descriptors,
// and this machine has two cores.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
