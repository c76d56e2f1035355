/**
 * The canned response `sockeye serve` answers with: a `--response` file, the
 * command-line fields on top of it, checked by the shared validator. Nothing
 * here throws; problems come back as one message each, with the origin that
 * decides the exit code (a bad file is a runtime error, a bad flag a usage
 * error).
 */
import { readFileSync, statSync } from 'node:fs';
import type { HeaderPair } from '../common/capture-record';
import {
  DEFAULT_CANNED_RESPONSE, formatFieldErrors, statusForbidsBody, validateCannedResponse, type CannedResponse,
} from '../common/canned-response';
import { oneLine } from './cli-error';

/**
 * A response file holds at most a 16 MiB body (MAX_CANNED_BODY_BYTES), which
 * is about 22 MiB as base64 and more when JSON-escaped; anything past this is
 * not a response file.
 */
export const MAX_RESPONSE_FILE_BYTES = 64 * 1024 * 1024;

export type ResponseProblemOrigin = 'file' | 'arguments';
export type ResponseResult<T> =
  | { ok: true; value: T }
  | { ok: false; origin: ResponseProblemOrigin; error: string };

/** Response fields given on the command line; null means not given. */
export interface ResponseFlags {
  status: number | null;
  headers: HeaderPair[];
  body: string | null;
}

const FILE_ERROR_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

function fileProblem(path: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return `cannot read response file ${path}: ${FILE_ERROR_TEXT[code] ?? 'read failed'} (${code})`;
  return `cannot read response file ${path}: ${oneLine(String(err))}`;
}

/**
 * Read and JSON-parse a response file (does I/O). The parsed value is not yet
 * checked: pass it to buildResponse. Files over MAX_RESPONSE_FILE_BYTES are
 * refused before reading.
 */
export function readResponseFile(path: string): ResponseResult<unknown> {
  let text: string;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return { ok: false, origin: 'file', error: fileProblem(path, { code: 'EISDIR' }) };
    if (stat.size > MAX_RESPONSE_FILE_BYTES) {
      return { ok: false, origin: 'file', error: `response file ${path} is larger than ${MAX_RESPONSE_FILE_BYTES} bytes` };
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, origin: 'file', error: fileProblem(path, err) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, origin: 'file', error: `response file ${path} is not valid JSON: ${oneLine(message)}` };
  }
}

/**
 * The response to serve. `fromFile` is the parsed file (undefined when there
 * is none) and is checked on its own first, so its problems are reported as
 * the file's. Then the flags apply: --status and --body replace the file's
 * fields (--body makes the encoding utf8; a --status drops the file's reason
 * phrase, which named the old status), --header fields are appended after the
 * file's.
 *
 * Without a file the base is DEFAULT_CANNED_RESPONSE, which the user never
 * wrote, so a --header replaces a default field of the same name instead of
 * doubling it, and the default body is dropped for a status that forbids a
 * body (204, 304) rather than refusing `--status 204`.
 */
export function buildResponse(fromFile: unknown, flags: ResponseFlags, filePath: string | null): ResponseResult<CannedResponse> {
  // The --header fields on their own first, so a problem names the argument rather than a merged index.
  const flagHeaders = validateCannedResponse({ headers: flags.headers, body: '' });
  if (!flagHeaders.ok) {
    return { ok: false, origin: 'arguments', error: `invalid --header: ${flagHeaders.errors.map((e) => e.message).join('; ')}` };
  }
  let merged: CannedResponse;
  if (fromFile !== undefined) {
    const checked = validateCannedResponse(fromFile);
    if (!checked.ok) {
      return { ok: false, origin: 'file', error: `response file ${filePath} is invalid: ${formatFieldErrors(checked.errors)}` };
    }
    const file = checked.value;
    merged = {
      status: flags.status ?? file.status,
      reason: flags.status === null ? file.reason : '',
      headers: [...file.headers, ...flags.headers],
      body: flags.body ?? file.body,
      bodyEncoding: flags.body === null ? file.bodyEncoding : 'utf8',
    };
  } else {
    const status = flags.status ?? DEFAULT_CANNED_RESPONSE.status;
    const given = new Set(flags.headers.map(([name]) => name.toLowerCase()));
    merged = {
      status,
      reason: '',
      headers: [...DEFAULT_CANNED_RESPONSE.headers.filter(([name]) => !given.has(name.toLowerCase())), ...flags.headers],
      body: flags.body ?? (statusForbidsBody(status) ? '' : DEFAULT_CANNED_RESPONSE.body),
      bodyEncoding: 'utf8',
    };
  }
  const checked = validateCannedResponse(merged);
  if (!checked.ok) return { ok: false, origin: 'arguments', error: `invalid response: ${formatFieldErrors(checked.errors)}` };
  return checked;
}
