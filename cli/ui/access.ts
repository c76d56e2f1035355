/**
 * Who may use the browser inspector (`sockeye serve --ui`). Pure: no I/O.
 *
 * The UI listener hands out the captured traffic and can change what the
 * capture listener answers, so every request must prove three things:
 *
 * 1. It was addressed to this listener by a name we chose (Host), so a page on
 *    another site whose DNS name was rebound to 127.0.0.1 cannot read our
 *    answers (DNS rebinding: the browser sends the attacker's name as Host).
 * 2. It does not come from another site's page (Origin, Sec-Fetch-Site), so a
 *    cross-site form or fetch cannot change the canned response.
 * 3. It carries the per-run secret: in a cookie, or once in the query of the
 *    printed URL, which is answered with a redirect that sets the cookie and
 *    drops the secret from the address bar and from history. Or, once, an
 *    open ticket instead (below).
 *
 * The open ticket: `npm start` (scripts/start.js) opens the browser with
 * xdg-open, whose command line (and often the browser's) any local user can
 * read in `ps` / /proc/PID/cmdline, so it must not carry the secret. It
 * passes serve a random one-time ticket in its environment (readable only by
 * the owner) and opens `/?ticket=T`; the first GET of a page with the right
 * ticket, within OPEN_TICKET_WINDOW_MS of the start, trades it for the same
 * cookie and redirect as the secret; after that, or once the window has
 * passed, the ticket is refused like a wrong secret. Residual race: a local
 * user who polls `ps` while xdg-open runs can read the ticket and use it
 * before the browser does (and so get the cookie); the browser then gets 401
 * and the user can still open the printed URL, and the window is short.
 *
 * Anything else is refused (401 without the secret, 403 for the rest); the
 * caller answers with a short reason and never captures the request.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SECRET_QUERY_PARAM, uiCookieName } from '../../common/browser-protocol';
import type { HandlerRequest } from '../../server/http-handler';

/** Random bytes in a secret (shown as hex, twice as many characters). */
export const UI_SECRET_BYTES = 32;
/** Paths where the printed URL's `?secret=` is accepted: the page itself, never the API or assets. */
export const PAGE_PATHS: ReadonlySet<string> = new Set(['/', '/index.html']);
/** The query parameter of the URL `npm start` opens: the one-time open ticket. */
export const TICKET_QUERY_PARAM = 'ticket';
/** How long after the inspector starts its open ticket is accepted. */
export const OPEN_TICKET_WINDOW_MS = 60_000;
/** Random bytes in an open ticket (64 hex digits, like the secret). */
export const OPEN_TICKET_BYTES = 32;

/**
 * The one-time open ticket (see above). Mutable: checkAccess marks it used
 * when it trades it for the cookie.
 */
export interface OpenTicket {
  /** 64 lowercase hex digits. */
  readonly value: string;
  /** The `now()` (AccessContext.now) from which it is refused. */
  readonly expiresAt: number;
  used: boolean;
}

export interface AccessContext {
  /** The per-run secret (createUiSecret). */
  secret: string;
  /** The address the UI listener is bound to (an IP literal). */
  uiHost: string;
  /** The UI listener's actual port. */
  uiPort: number;
  /** The open ticket, when one was given (only the first good use is accepted). */
  ticket?: OpenTicket | null;
  /** A monotonic clock in milliseconds (default performance.now()), compared with ticket.expiresAt. */
  now?: () => number;
}

export type AccessDecision =
  | { kind: 'allow' }
  /**
   * The correct secret in the query of a page GET: answer 303 See Other to
   * `location` (the same path and query without the secret) with the
   * response headers `headers` (Set-Cookie and friends).
   */
  | { kind: 'allow-and-set-cookie'; location: string; headers: Array<readonly [string, string]> }
  | { kind: 'refuse'; status: 401 | 403; reason: string };

/** A new per-run secret: 32 random bytes as 64 lowercase hex digits. */
export function createUiSecret(): string {
  return randomBytes(UI_SECRET_BYTES).toString('hex');
}

/** True for a well-formed open ticket (as scripts/start.js makes them): 64 lowercase hex digits. */
export function isOpenTicketValue(value: string): boolean {
  return new RegExp(`^[0-9a-f]{${OPEN_TICKET_BYTES * 2}}$`).test(value);
}

/** An open ticket for `value`, accepted until `now + OPEN_TICKET_WINDOW_MS` (now from AccessContext.now's clock). */
export function openTicket(value: string, now: number = performance.now()): OpenTicket {
  return { value, expiresAt: now + OPEN_TICKET_WINDOW_MS, used: false };
}

/** True for an address only this machine can reach (127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host.toLowerCase() === '0:0:0:0:0:0:0:1';
}

/** `host:port` with IPv6 literals in brackets (RFC 3986 §3.2.2), lower case. */
function authority(host: string, port: number): string {
  return (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`).toLowerCase();
}

/** The port an `http://` URL may leave out (RFC 9110 §4.2.1); browsers then omit it from Host and Origin. */
const HTTP_DEFAULT_PORT = 80;

/**
 * The Host values (RFC 9110 §7.2, `host:port`, compared case-insensitively
 * per RFC 3986 §3.2.2) that name the UI listener: the address it is bound to,
 * plus the usual loopback names when it is bound to loopback. On port 80, each
 * also without `:80` (browsers send `Host: 127.0.0.1` and `Origin:
 * http://127.0.0.1` for http://127.0.0.1:80/); on any other port a Host
 * without the port is refused.
 */
export function allowedHosts(uiHost: string, uiPort: number): Set<string> {
  const names = isLoopbackHost(uiHost) ? [uiHost, '127.0.0.1', 'localhost', '::1'] : [uiHost];
  const hosts = new Set<string>();
  for (const h of names) {
    hosts.add(authority(h, uiPort));
    if (uiPort === HTTP_DEFAULT_PORT) hosts.add((h.includes(':') ? `[${h}]` : h).toLowerCase());
  }
  return hosts;
}

/**
 * Every value of the cookie `name` in the request's Cookie header fields.
 * RFC 6265 §4.2.1: `cookie-pair *( ";" SP cookie-pair )`; parsed leniently as
 * §5.4's user agents produce it (pairs split at ";", whitespace trimmed, the
 * name ending at the first "="), several Cookie fields allowed (RFC 9110 §5.3
 * does not combine them with commas, so each is split on its own). A value in
 * double quotes (§4.1.1 cookie-value) loses its quotes.
 */
export function cookieValues(headers: HandlerRequest['headers'], name: string): string[] {
  const values: string[] = [];
  for (const [field, value] of headers) {
    if (field.toLowerCase() !== 'cookie') continue;
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim() !== name) continue;
      let v = pair.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      values.push(v);
    }
  }
  return values;
}

/** Constant-time equality (crypto.timingSafeEqual needs equal lengths; a length mismatch is simply false). */
export function secretMatches(candidate: string, secret: string): boolean {
  const a = Buffer.from(candidate, 'latin1');
  const b = Buffer.from(secret, 'latin1');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** The query split into `name=value` parts, kept as sent (no percent-decoding: the secret is hex). */
function queryParts(query: string): Array<{ raw: string; name: string; value: string }> {
  if (query === '') return [];
  return query.split('&').map((raw) => {
    const eq = raw.indexOf('=');
    return eq < 0 ? { raw, name: raw, value: '' } : { raw, name: raw.slice(0, eq), value: raw.slice(eq + 1) };
  });
}

/** The Set-Cookie value that keeps the secret for this UI port (RFC 6265 §4.1). */
export function secretCookie(secret: string, uiPort: number): string {
  // HttpOnly: page scripts never see it (§4.1.2.6). SameSite=Strict: no cross-site request carries it
  // (RFC 6265bis §4.1.2.7). No Domain: host-only (§4.1.2.3). No Max-Age: gone when the browser closes,
  // and the secret is worthless after this run anyway.
  return `${uiCookieName(uiPort)}=${secret}; HttpOnly; SameSite=Strict; Path=/`;
}

const refuse = (status: 401 | 403, reason: string): AccessDecision => ({ kind: 'refuse', status, reason });

/** RFC 9110 §9.2.1: only these may come without an Origin; anything else could change state. */
const METHODS_WITHOUT_ORIGIN: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** Fetch Metadata (W3C): a request the user started (`none`) or one of our own pages made (`same-origin`). */
const ALLOWED_FETCH_SITES: ReadonlySet<string> = new Set(['same-origin', 'none']);

/**
 * Decide whether a request to the UI listener may be served. Checks, in
 * order: exactly one Host naming the UI listener (else 403); an Origin, if
 * present, of `http://` + one of those hosts, and an Origin on every method
 * but GET and HEAD (else 403); Sec-Fetch-Site, if present, `same-origin` or
 * `none` (else 403); then the secret (else 401). The secret is the cookie
 * uiCookieName(uiPort) (any of its values), or on a GET of a page path the
 * query parameter `secret`, which yields allow-and-set-cookie; or there,
 * instead, the query parameter `ticket` with ctx.ticket's value, unused and
 * before it expires, which yields the same and marks the ticket used. A wrong
 * (used, expired) query secret or ticket on a page is refused even when the
 * cookie is right, and so is a page URL with more than one of them. Elsewhere
 * (other paths, other methods) they are ignored, never accepted nor used up.
 * Reasons never contain the secret, the ticket or anything the client sent.
 */
export function checkAccess(req: HandlerRequest, ctx: AccessContext): AccessDecision {
  const hosts = allowedHosts(ctx.uiHost, ctx.uiPort);

  // RFC 9112 §3.2: exactly one Host. The engine already refuses a repeated Host on HTTP/1.1; HTTP/1.0 may omit it.
  if (req.headerCount('host') !== 1) return refuse(403, 'the request must have exactly one Host header naming this inspector');
  const host = (req.header('host') ?? '').trim().toLowerCase();
  if (!hosts.has(host)) return refuse(403, 'the Host header does not name this inspector (DNS rebinding is refused)');

  const originCount = req.headerCount('origin');
  if (originCount > 1) return refuse(403, 'more than one Origin header');
  if (originCount === 1) {
    // RFC 6454 §7: the serialized origin; "null" (opaque origins, sandboxed frames, file:) is never ours.
    const origin = (req.header('origin') ?? '').trim().toLowerCase();
    if (!origin.startsWith('http://') || !hosts.has(origin.slice('http://'.length))) {
      return refuse(403, 'requests from other sites are refused (Origin)');
    }
  } else if (!METHODS_WITHOUT_ORIGIN.has(req.method)) {
    // Browsers send Origin on every POST (Fetch §3.1); one without it is not our page, and guessing is not safe.
    return refuse(403, `${req.method} without an Origin header is refused`);
  }

  const fetchSite = req.header('sec-fetch-site');
  if (fetchSite !== null && !ALLOWED_FETCH_SITES.has(fetchSite.trim().toLowerCase())) {
    return refuse(403, 'requests from other sites are refused (Sec-Fetch-Site)');
  }

  if (req.method === 'GET' && PAGE_PATHS.has(req.path)) {
    const parts = queryParts(req.query);
    const given = parts.filter((p) => p.name === SECRET_QUERY_PARAM);
    const tickets = parts.filter((p) => p.name === TICKET_QUERY_PARAM);
    if (given.length + tickets.length > 1) {
      return refuse(401, 'the URL must carry one secret or one ticket; open the URL printed by sockeye serve --ui');
    }
    if (given.length > 0 && !secretMatches(given[0]!.value, ctx.secret)) {
      return refuse(401, 'the secret in the URL is not this run\'s; open the URL printed by sockeye serve --ui');
    }
    if (tickets.length > 0) {
      const ticket = ctx.ticket ?? null;
      const now = (ctx.now ?? (() => performance.now()))();
      // Compared first, in constant time, whatever the ticket's state: the answer's timing says nothing about it.
      const matches = ticket !== null && secretMatches(tickets[0]!.value, ticket.value);
      if (!matches || ticket.used || now >= ticket.expiresAt) {
        return refuse(401, 'the ticket in the URL is not valid (wrong, already used or expired); open the URL printed by sockeye serve --ui');
      }
      ticket.used = true;
    }
    if (given.length + tickets.length > 0) {
      const rest = parts.filter((p) => p.name !== SECRET_QUERY_PARAM && p.name !== TICKET_QUERY_PARAM).map((p) => p.raw).join('&');
      return {
        kind: 'allow-and-set-cookie',
        location: rest === '' ? req.path : `${req.path}?${rest}`,
        headers: [
          ['Set-Cookie', secretCookie(ctx.secret, ctx.uiPort)],
          ['Cache-Control', 'no-store'],
          ['Referrer-Policy', 'no-referrer'],
        ],
      };
    }
  }

  const cookies = cookieValues(req.headers, uiCookieName(ctx.uiPort));
  // Any matching value: a page on another port of this host can set a cookie of our name (cookies are not
  // port-isolated, RFC 6265 §8.5) but cannot know the secret, so an extra wrong value grants nothing.
  let ok = false;
  for (const value of cookies) if (secretMatches(value, ctx.secret)) ok = true;
  if (!ok) return refuse(401, 'no valid secret; open the URL printed by sockeye serve --ui');
  return { kind: 'allow' };
}
