/**
 * Long fuzz runs of the request parser and chunked decoder:
 *
 *   node build/server/http/test/fuzz-cli.js [--seconds 300] [--seed N] [--target request-parser|chunked-decoder]
 *   node build/server/http/test/fuzz-cli.js --replay <caseSeed> --target <target>
 *
 * Targets alternate case by case until the time is up. Prints cases run, cases
 * per second, outcomes and the slowest case; on a failure prints the case seed
 * and input and exits 1 (add it to FOUND in fuzz.test.ts). Exit 2: bad options.
 */
import { caseSeedOf, fuzzCase, FUZZ_TARGETS, type FuzzFailure, type FuzzTarget } from './fuzz';

const DEFAULT_SECONDS = 60;
const MAX_SECONDS = 24 * 3600;
/** Stop after this many failures: they are usually one bug. */
const MAX_FAILURES = 5;
const PROGRESS_EVERY_MS = 10_000;

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: fuzz-cli.js [--seconds S] [--seed N] [--target T] | --replay SEED --target T\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { seconds: number; seed: number; targets: FuzzTarget[]; replay: number | null } {
  let seconds = DEFAULT_SECONDS;
  let seed = Date.now() >>> 0;
  let targets: FuzzTarget[] = [...FUZZ_TARGETS];
  let replay: number | null = null;
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    const n = Number(value);
    switch (argv[i]) {
      case '--seconds': if (!(n > 0 && n <= MAX_SECONDS)) usage(`--seconds must be 1..${MAX_SECONDS}`); seconds = n; break;
      case '--seed': if (!Number.isInteger(n) || n < 0) usage('--seed must be a whole number'); seed = n >>> 0; break;
      case '--replay': if (!Number.isInteger(n) || n < 0) usage('--replay must be a case seed'); replay = n >>> 0; break;
      case '--target':
        if (!FUZZ_TARGETS.includes(value as FuzzTarget)) usage(`--target is one of ${FUZZ_TARGETS.join(', ')}`);
        targets = [value as FuzzTarget];
        break;
      default: usage(`unknown option ${String(argv[i])}`);
    }
  }
  return { seconds, seed, targets, replay };
}

function report(f: FuzzFailure): void {
  console.log(`FAIL ${f.target} (${f.kind}) case seed ${f.caseSeed}\n  replay: node build/server/http/test/fuzz-cli.js --replay ${f.caseSeed} --target ${f.target}\n  input (hex): ${Buffer.from(f.input).toString('hex').slice(0, 2000)}\n  ${f.message}`);
}

function main(): number {
  const { seconds, seed, targets, replay } = parseArgs(process.argv.slice(2));
  if (replay !== null) {
    if (targets.length !== 1) usage('--replay needs --target');
    const r = fuzzCase(targets[0]!, replay);
    if (r.failure) report(r.failure);
    else console.log(`case seed ${replay} (${targets[0]}): ${r.outcome}, no failure`);
    return r.failure ? 1 : 0;
  }
  console.log(`fuzz: seed ${seed}, ${seconds} s, targets ${targets.join(', ')}`);
  const started = performance.now();
  const end = started + seconds * 1000;
  let nextProgress = started + PROGRESS_EVERY_MS;
  const counts = new Map<FuzzTarget, { cases: number; outcomes: Record<string, number>; slowestMs: number; slowestSeed: number }>(
    targets.map((t) => [t, { cases: 0, outcomes: {}, slowestMs: 0, slowestSeed: 0 }]),
  );
  const failures: FuzzFailure[] = [];
  let index = 0;
  for (let now = started; now < end && failures.length < MAX_FAILURES; index++) {
    const target = targets[index % targets.length]!;
    const caseSeed = caseSeedOf(seed, index);
    const r = fuzzCase(target, caseSeed);
    const after = performance.now();
    const c = counts.get(target)!;
    c.cases++;
    c.outcomes[r.outcome] = (c.outcomes[r.outcome] ?? 0) + 1;
    if (after - now > c.slowestMs) {
      c.slowestMs = after - now;
      c.slowestSeed = caseSeed;
    }
    if (r.failure) {
      failures.push(r.failure);
      report(r.failure);
    }
    now = after;
    if (now > nextProgress) {
      console.log(`  … ${index + 1} cases, ${((index + 1) / ((now - started) / 1000)).toFixed(0)}/s`);
      nextProgress += PROGRESS_EVERY_MS;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  for (const [target, c] of counts) {
    console.log(`${target}: ${c.cases} cases in ${elapsed.toFixed(1)} s (${(c.cases / elapsed).toFixed(0)}/s overall run), outcomes ${JSON.stringify(c.outcomes)}, slowest ${c.slowestMs.toFixed(1)} ms (case seed ${c.slowestSeed})`);
  }
  console.log(failures.length === 0 ? `no failures (seed ${seed})` : `${failures.length} failure(s) (seed ${seed})`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = main();
