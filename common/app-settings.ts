/**
 * The app's persisted settings: a versioned JSON document in the user data
 * folder. Everything read from disk is untrusted: parseSettingsFile validates
 * every field and reports what is wrong instead of throwing.
 */
import { DEFAULT_CANNED_RESPONSE, formatFieldErrors, validateCannedResponse, type CannedResponse, type FieldError, type Validated } from './canned-response';

export interface ListenSettings {
  host: string;
  port: number;
}

export interface AppSettings {
  version: typeof SETTINGS_VERSION;
  listen: ListenSettings;
  response: CannedResponse;
}

/** Bump when the shape changes, and teach migrate() the old shape. */
export const SETTINGS_VERSION = 1;
/** Loopback unless the user chooses otherwise (DESIGN.md, Electron security). */
export const DEFAULT_LISTEN: ListenSettings = Object.freeze({ host: '127.0.0.1', port: 8080 }) as ListenSettings;
export const DEFAULT_APP_SETTINGS: AppSettings = Object.freeze({
  version: SETTINGS_VERSION,
  listen: DEFAULT_LISTEN,
  response: DEFAULT_CANNED_RESPONSE,
}) as AppSettings;
/** The file holds one canned response (a body of up to 16 MiB, larger once JSON-escaped); anything bigger is not ours. */
export const MAX_SETTINGS_FILE_BYTES = 32 * 1024 * 1024;
export const MIN_PORT = 1;
export const MAX_PORT = 65535;

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A literal IPv6 address without zone (the engine binds literals only; names are not resolved). */
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;

function ipv6Problem(host: string): string | null {
  if (!IPV6_RE.test(host) || !host.includes(':')) return 'is not an IPv4 or IPv6 address';
  const halves = host.split('::');
  if (halves.length > 2) return 'has "::" more than once';
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const last = groups[groups.length - 1] ?? '';
  const v4Tail = IPV4_RE.test(last);
  const n = groups.length + (v4Tail ? 1 : 0);
  if (groups.some((g, i) => !(i === groups.length - 1 && v4Tail) && !/^[0-9A-Fa-f]{1,4}$/.test(g))) return 'has an invalid group';
  if (halves.length === 1 ? n !== 8 : n > 7) return 'has the wrong number of groups';
  return null;
}

/** Check a listen address from a user, a file or a message. Never throws. */
export function validateListen(input: unknown): Validated<ListenSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: 'listen', message: 'listen must be an object with host and port' }] };
  }
  const o = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(o)) {
    if (key !== 'host' && key !== 'port') errors.push({ field: `listen.${key}`, message: `unknown field "${key}"` });
  }
  if (typeof o.host !== 'string' || o.host === '') {
    errors.push({ field: 'listen.host', message: 'host must be an IP address such as 127.0.0.1' });
  } else if (!IPV4_RE.test(o.host)) {
    const problem = ipv6Problem(o.host);
    if (problem) errors.push({ field: 'listen.host', message: `host "${o.host}" ${problem} (names are not resolved; use 127.0.0.1, 0.0.0.0, ::1 or ::)` });
  }
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < MIN_PORT || o.port > MAX_PORT) {
    errors.push({ field: 'listen.port', message: `port must be a whole number from ${MIN_PORT} to ${MAX_PORT}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { host: o.host as string, port: o.port as number } };
}

/** Check a whole settings object (already parsed from JSON). Never throws. */
export function validateAppSettings(input: unknown): Validated<AppSettings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', message: 'settings must be a JSON object' }] };
  }
  const o = input as Record<string, unknown>;
  if (o.version !== SETTINGS_VERSION) {
    return { ok: false, errors: [{ field: 'version', message: `unsupported settings version ${JSON.stringify(o.version)} (expected ${SETTINGS_VERSION})` }] };
  }
  const errors: FieldError[] = [];
  for (const key of Object.keys(o)) {
    if (!['version', 'listen', 'response'].includes(key)) errors.push({ field: key, message: `unknown field "${key}"` });
  }
  const listen = validateListen(o.listen ?? DEFAULT_LISTEN);
  if (!listen.ok) errors.push(...listen.errors);
  const response = validateCannedResponse(o.response ?? DEFAULT_CANNED_RESPONSE);
  if (!response.ok) errors.push(...response.errors.map((e) => ({ field: e.field ? `response.${e.field}` : 'response', message: e.message })));
  if (errors.length > 0 || !listen.ok || !response.ok) return { ok: false, errors };
  return { ok: true, value: { version: SETTINGS_VERSION, listen: listen.value, response: response.value } };
}

export type SettingsFileResult =
  | { ok: true; settings: AppSettings }
  /** The file is unusable: `reason` says why, for the user; the caller falls back to defaults. */
  | { ok: false; reason: string };

/** Parse the text of a settings file. Never throws. */
export function parseSettingsFile(text: string): SettingsFileResult {
  if (text.length > MAX_SETTINGS_FILE_BYTES) return { ok: false, reason: `settings file is larger than ${MAX_SETTINGS_FILE_BYTES} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `settings file is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const result = validateAppSettings(parsed);
  if (!result.ok) return { ok: false, reason: formatFieldErrors(result.errors) };
  return { ok: true, settings: result.value };
}

/** The text written to disk: stable key order, readable. */
export function serializeSettings(settings: AppSettings): string {
  return `${JSON.stringify({ version: settings.version, listen: settings.listen, response: settings.response }, null, 2)}\n`;
}
