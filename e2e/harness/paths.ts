/**
 * Where the harness finds what it drives. Paths are resolved from the compiled
 * file's place (build/e2e/harness/), so they hold for tests and for the bench.
 */
import * as path from 'node:path';

/** The repository root: build/e2e/harness → ../../.. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** What `npx vite build` produces: index.html plus hashed assets. */
export const RENDERER_DIST = path.join(ROOT, 'dist', 'renderer');
export const RENDERER_INDEX = path.join(RENDERER_DIST, 'index.html');
/** Debian's Chromium (`apt-get install chromium`); Playwright cannot download its own here. */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (gitignored); created at run time. */
export const SCREENSHOT_DIR = path.join(ROOT, 'e2e', 'screenshots');
