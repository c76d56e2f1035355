/**
 * The response editor's working copy. The form holds text exactly as typed
 * (a status of "20" or "abc" is a legitimate intermediate state); it becomes a
 * CannedResponse only through validateCannedResponse, so nothing invalid is
 * ever sent. Pure functions; drafts are replaced, never mutated.
 */
import { validateCannedResponse, type CannedResponse, type FieldError, type Validated } from '../../../common/canned-response';

export interface DraftHeader {
  /** Stable React key for the row (rows can be removed from the middle). */
  key: number;
  name: string;
  value: string;
}

export interface ResponseDraft {
  status: string;
  reason: string;
  headers: DraftHeader[];
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

/** The content types offered in the editor's select; "custom" means "whatever the header rows say". */
export const CONTENT_TYPE_CHOICES = [
  { value: 'text/plain', header: 'text/plain; charset=utf-8', label: 'Text' },
  { value: 'application/json', header: 'application/json', label: 'JSON' },
  { value: 'text/html', header: 'text/html; charset=utf-8', label: 'HTML' },
  { value: 'application/xml', header: 'application/xml', label: 'XML' },
] as const;
export type ContentTypeChoice = (typeof CONTENT_TYPE_CHOICES)[number]['value'] | 'custom' | 'none';

const CONTENT_TYPE = 'content-type';

let nextKey = 1;
/** A fresh row key (unique for the page's life). */
export function newRowKey(): number {
  return nextKey++;
}

export function draftFromResponse(r: CannedResponse): ResponseDraft {
  return {
    status: String(r.status),
    reason: r.reason,
    headers: r.headers.map(([name, value]) => ({ key: newRowKey(), name, value })),
    body: r.body,
    bodyEncoding: r.bodyEncoding,
  };
}

/** The draft as the plain object the validator checks: digits become a number, anything else stays text (and fails). */
export function draftToCandidate(d: ResponseDraft): unknown {
  const s = d.status.trim();
  return {
    status: /^\d{1,6}$/.test(s) ? Number(s) : s,
    reason: d.reason,
    headers: d.headers.map((h) => [h.name, h.value]),
    body: d.body,
    bodyEncoding: d.bodyEncoding,
  };
}

export function validateDraft(d: ResponseDraft): Validated<CannedResponse> {
  return validateCannedResponse(draftToCandidate(d));
}

/** Which select option matches the draft's first Content-Type row. */
export function contentTypeChoice(d: ResponseDraft): ContentTypeChoice {
  const row = d.headers.find((h) => h.name.toLowerCase() === CONTENT_TYPE);
  if (!row) return 'none';
  const essence = row.value.split(';')[0]!.trim().toLowerCase();
  const match = CONTENT_TYPE_CHOICES.find((c) => c.value === essence);
  return match ? match.value : 'custom';
}

/**
 * Keep the Content-Type row in step with the select: set the first such row
 * (adding one at the end if none), or remove every such row for "none".
 * "custom" leaves the rows alone: the user edits the row itself.
 */
export function withContentType(d: ResponseDraft, choice: ContentTypeChoice): ResponseDraft {
  if (choice === 'custom') return d;
  if (choice === 'none') return { ...d, headers: d.headers.filter((h) => h.name.toLowerCase() !== CONTENT_TYPE) };
  const header = CONTENT_TYPE_CHOICES.find((c) => c.value === choice)!.header;
  const i = d.headers.findIndex((h) => h.name.toLowerCase() === CONTENT_TYPE);
  if (i < 0) return { ...d, headers: [...d.headers, { key: newRowKey(), name: 'Content-Type', value: header }] };
  return { ...d, headers: d.headers.map((h, j) => (j === i ? { ...h, value: header } : h)) };
}

/** Errors grouped by field ("status", "headers[2].name"…) for inline display. */
export function errorsByField(errors: readonly FieldError[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of errors) {
    const list = map.get(e.field);
    if (list) list.push(e.message);
    else map.set(e.field, [e.message]);
  }
  return map;
}

/** True when two responses would produce the same bytes (to skip sending what is already applied). */
export function sameResponse(a: CannedResponse, b: CannedResponse): boolean {
  return a.status === b.status && a.reason === b.reason && a.body === b.body && a.bodyEncoding === b.bodyEncoding &&
    a.headers.length === b.headers.length && a.headers.every(([n, v], i) => n === b.headers[i]![0] && v === b.headers[i]![1]);
}
