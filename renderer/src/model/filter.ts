/**
 * The traffic filter: a small query language typed into the filter box.
 *
 *   words         every word must match (AND), case-insensitive substring of
 *                 the method, target, status or peer
 *   status:404    exact status; status:4xx a class; status:none = not answered
 *   method:POST   exact method (case-insensitive)
 *   error         malformed or incomplete requests only; error:bad-chunk (a
 *                 code, or the start of one)
 *   -term         negates any of the above (e.g. -status:2xx, -favicon)
 *
 * A term that cannot be understood (status:abc) is reported and ignored, so
 * the list never goes blank on a typo.
 */
import type { CaptureErrorCode } from '../../../common/capture-record';

/** What the filter reads from a record; RecordStore provides it by position. */
export interface FilterSubject {
  method(i: number): string;
  target(i: number): string;
  status(i: number): number | null;
  error(i: number): CaptureErrorCode | null;
  peer(i: number): string;
}

export type Predicate = (subject: FilterSubject, i: number) => boolean;

export interface ParsedFilter {
  /** Null when the filter is empty: every record matches (no index needed). */
  predicate: Predicate | null;
  /** Terms that were ignored, with why, for a hint under the box. */
  problems: string[];
  /** The normalized text, to tell a real change from extra spaces. */
  key: string;
}

function statusTerm(arg: string): Predicate | string {
  const a = arg.toLowerCase();
  if (a === 'none') return (s, i) => s.status(i) === null;
  if (/^[1-5]xx$/.test(a)) {
    const cls = Number(a[0]);
    return (s, i) => {
      const v = s.status(i);
      return v !== null && Math.floor(v / 100) === cls;
    };
  }
  if (/^\d{3}$/.test(a)) {
    const want = Number(a);
    return (s, i) => s.status(i) === want;
  }
  return `status:${arg} is not a status (use e.g. status:404, status:4xx or status:none)`;
}

function textTerm(needle: string): Predicate {
  const n = needle.toLowerCase();
  return (s, i) => {
    const status = s.status(i);
    return s.target(i).toLowerCase().includes(n) ||
      s.method(i).toLowerCase().includes(n) ||
      (status !== null && String(status).includes(n)) ||
      s.peer(i).toLowerCase().includes(n);
  };
}

function term(word: string): Predicate | string {
  const colon = word.indexOf(':');
  const key = colon > 0 ? word.slice(0, colon).toLowerCase() : '';
  const arg = colon > 0 ? word.slice(colon + 1) : '';
  if (key === 'status') return statusTerm(arg);
  if (key === 'method') {
    if (arg === '') return 'method: needs a method, e.g. method:POST';
    const m = arg.toUpperCase();
    return (s, i) => s.method(i).toUpperCase() === m;
  }
  if (key === 'error') {
    const code = arg.toLowerCase();
    return (s, i) => {
      const e = s.error(i);
      return e !== null && e.startsWith(code);
    };
  }
  if (word.toLowerCase() === 'error') return (s, i) => s.error(i) !== null;
  return textTerm(word);
}

/** Parse the filter box text. Never throws. */
export function parseFilter(text: string): ParsedFilter {
  const words = text.split(/\s+/).filter((w) => w !== '' && w !== '-');
  const predicates: Predicate[] = [];
  const problems: string[] = [];
  for (const raw of words) {
    const negate = raw.startsWith('-');
    const t = term(negate ? raw.slice(1) : raw);
    if (typeof t === 'string') {
      problems.push(t);
      continue;
    }
    predicates.push(negate ? (s, i) => !t(s, i) : t);
  }
  const key = words.join(' ');
  if (predicates.length === 0) return { predicate: null, problems, key };
  if (predicates.length === 1) return { predicate: predicates[0]!, problems, key };
  return { predicate: (s, i) => predicates.every((p) => p(s, i)), problems, key };
}
