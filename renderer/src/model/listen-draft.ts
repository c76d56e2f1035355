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

/** The address a local client would connect to: wildcard binds are reached over loopback. */
export function reachableHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

/** The URL a client would use for a listen address. */
export function listenUrl(listen: ListenSettings): string {
  return `http://${formatHostPort(reachableHost(listen.host), listen.port)}/`;
}
