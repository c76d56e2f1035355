#!/usr/bin/env node
// Static security scan of the Electron configuration with electronegativity
// (npm @doyensec/electronegativity): the main process and preload sources plus
// the renderer page (its CSP). Fails (exit 1) on any HIGH-severity finding, or
// when the scan produced no report (a scan that did not run must not pass).
// Lower findings are printed for review. Runs offline: the tool's release
// check fails without a network and is only a warning.
'use strict';
const { spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, rmSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
/** What the scan reads: Electron main and preload sources, and the renderer page with its meta CSP. */
const SCANNED = ['main', 'preload', 'renderer/index.html'];
/** Tests and their helpers are not shipped; their fixtures would only add noise. */
const NOT_SHIPPED = /(\.test\.ts$|\/test\/)/;
const FAIL_SEVERITY = 'HIGH';
const SCAN_TIMEOUT_MS = 5 * 60_000;
const FINDING_RE = /^([A-Z0-9_]+),"(HIGH|MEDIUM|LOW|INFORMATIONAL)","([A-Z]+)","([^"]*)","([^"]*)",/;

function electronVersion() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return String(pkg.devDependencies.electron).replace(/^[^0-9]*/, '');
}

function main() {
  const stage = mkdtempSync(join(tmpdir(), 'sockeye-scan-'));
  try {
    for (const path of SCANNED) {
      cpSync(join(ROOT, path), join(stage, path), { recursive: true, filter: (src) => !NOT_SHIPPED.test(src) });
    }
    const report = join(stage, 'report.csv');
    const bin = join(ROOT, 'node_modules', '.bin', 'electronegativity');
    const run = spawnSync(bin, ['-i', stage, '-r', '-e', electronVersion(), '-o', report, '-v', 'false'], {
      encoding: 'utf8', timeout: SCAN_TIMEOUT_MS,
    });
    if (!existsSync(report)) {
      console.error(`security-scan: electronegativity produced no report (exit ${run.status}, ${run.error ?? ''})\n${run.stderr}`);
      return 1;
    }
    // The CSV report starts each finding with `CHECK_ID,"SEVERITY","CONFIDENCE","file","line:col",`; the
    // sample after it is raw source (unescaped commas, quotes, newlines), so only that prefix is read.
    // (The SARIF report carries no severity, so it cannot be used for the HIGH gate.)
    const findings = [];
    for (const line of readFileSync(report, 'utf8').split(/\r?\n/)) {
      const m = FINDING_RE.exec(line);
      if (m) findings.push({ issue: m[1], severity: m[2], confidence: m[3], file: m[4], location: m[5] });
    }
    // Every real scan reports at least its global checks (our CSP is always listed for review): an
    // empty list means the report was not written or not understood, and must not pass.
    if (findings.length === 0) {
      console.error('security-scan: the report lists no findings at all, so the scan cannot be trusted to have run');
      return 1;
    }
    for (const f of findings) console.log(`security-scan: ${f.severity} ${f.confidence} ${f.issue} ${f.file} ${f.location}`);
    const failing = findings.filter((f) => f.severity.toUpperCase() === FAIL_SEVERITY);
    console.log(`security-scan: ${findings.length} finding(s), ${failing.length} ${FAIL_SEVERITY}`);
    return failing.length > 0 ? 1 : 0;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

process.exit(main());
