/**
 * The server bar's host and port fields, as typed, checked with the shared
 * validateListen before anything is sent. Pure functions.
 */
import { validateListen, type ListenSettings } from '../../../common/app-settings';
import type { Validated } from '../../../common/canned-response';
import { formatHostPort } from './format';

/** Port text becomes a number only when it is plain digits; anything else stays text (and fails validation). */
export function parseListenDraft(host: string, port: string): Validated<ListenSettings> {
  const p = port.trim();
  return validateListen({ host: host.trim(), port: /^\d{1,6}$/.test(p) ? Number(p) : p });
}

/** The URL a client would use for an address; wildcard binds are reached over loopback. */
export function listenUrl(listen: ListenSettings): string {
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${formatHostPort(host, listen.port)}/`;
}
