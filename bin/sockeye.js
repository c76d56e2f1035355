#!/usr/bin/env node
// The `sockeye` command: a shim that runs the compiled CLI (build/cli/main.js).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'build', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('sockeye: not built yet: run `npm run build` (or `npm install`) in the sockeye folder first\n');
  process.exit(1);
}
require(entry).run(process.argv.slice(2));
