/**
 * Bounded fuzz runs of the request parser and the chunked decoder (see
 * test/fuzz.ts for the properties). Longer runs: test/fuzz-cli.ts. Every
 * failing input a run finds is added to FOUND below under a name, with the
 * case seed it came from.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { caseSeedOf, fuzzCase, fuzzInputCase, type FuzzTarget } from './test/fuzz';
import { TestRandom } from './test/random';

/** Cases per target in CI; each is checked at every split point (or 24 random ones past 256 bytes). */
const CI_CASES = 10_000;
const CI_SEED = 0x15_5e_e4;

/** Named inputs: failures found by fuzzing (none so far) and edges worth keeping in every run. */
const FOUND: { name: string; target: FuzzTarget; input: string }[] = [
  { name: 'chunk size of 2^64 - 1 (hex overflow past 2^53)', target: 'chunked-decoder', input: 'ffffffffffffffff\r\nx' },
  { name: 'chunk size of thirty hex digits', target: 'chunked-decoder', input: `${'1'.repeat(30)}\r\n` },
  { name: 'unterminated quoted chunk extension', target: 'chunked-decoder', input: '5;a="x\r\nhello\r\n0\r\n\r\n' },
  { name: 'bare CR as the chunk line end', target: 'chunked-decoder', input: '5\rhello\r\n0\r\n\r\n' },
  { name: 'Content-Length past 2^53', target: 'request-parser', input: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740993\r\n\r\n' },
  { name: 'only CRs', target: 'request-parser', input: '\r'.repeat(300) },
  { name: 'request line of NUL bytes', target: 'request-parser', input: `${'\x00'.repeat(40)}\r\n\r\n` },
  { name: 'obs-fold after the first header', target: 'request-parser', input: 'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n' },
  { name: 'header line of 70,000 bytes', target: 'request-parser', input: `GET / HTTP/1.1\r\nHost: a\r\nX: ${'x'.repeat(70_000)}\r\n\r\n` },
];

describe('fuzz: named inputs', () => {
  for (const f of FOUND) {
    it(`${f.target}: ${f.name}`, () => {
      const r = fuzzInputCase(f.target, Buffer.from(f.input, 'latin1'), new TestRandom(1));
      assert.equal(r.failure, null, r.failure?.message);
    });
  }
});

describe('fuzz: seeded runs', () => {
  for (const target of ['request-parser', 'chunked-decoder'] as const) {
    it(`${target}: ${CI_CASES} generated and mutated inputs, every split the same`, () => {
      const outcomes: Record<string, number> = {};
      for (let i = 0; i < CI_CASES; i++) {
        const seed = caseSeedOf(CI_SEED, i);
        const r = fuzzCase(target, seed);
        assert.equal(r.failure, null, `case seed ${seed}: ${r.failure?.message}`);
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      }
      // The generators must reach every outcome, or the properties say little.
      for (const kind of ['complete', 'partial', 'error']) assert.ok((outcomes[kind] ?? 0) > CI_CASES / 20, JSON.stringify(outcomes));
    });
  }
});
