/**
 * The browser inspector's site: the RequestHandler of the UI listener of
 * `sockeye serve --ui` (protocol: common/browser-protocol.ts).
 *
 * Every request first passes checkAccess (access.ts); a refused one gets a
 * short text saying why and nothing else. Then:
 *
 * - GET  UI_PATHS.init      → InspectorInit as JSON
 * - GET  UI_PATHS.events    → the RecordFeed's binary frames (RECORDS_CONTENT_TYPE), after `?after=`
 * - POST UI_PATHS.response  → control.setResponse(JSON body) → CommandResult
 * - POST UI_PATHS.listen    → control.setListen(JSON body) → CommandResult
 * - anything else           → the built renderer's files (rendererRoot)
 *
 * A POST body must be `application/json` (else 415) holding valid UTF-8 JSON
 * (else 400 with a CommandResult). A CommandResult that refuses the input is
 * answered 422 (RFC 9110 §15.5.21: understood, but the values are unusable),
 * one that applies it 200. Every answer, refusals included, carries the
 * security headers below.
 */
import { EVENTS_AFTER_PARAM, RECORDS_CONTENT_TYPE, UI_PATHS } from '../../common/browser-protocol';
import type { CommandResult, InspectorInit } from '../../common/inspector-api';
import type { HandlerRequest, HandlerResult, RequestAdmission, RequestHandler, StreamedResponse, WholeResponse } from '../../server/http-handler';
import { createRouter, json, plainText } from '../../server/router';
import { staticFiles } from '../../server/static-files';
import { checkAccess, type OpenTicket } from './access';
import type { RecordFeed } from './record-feed';

/**
 * renderer/index.html's meta CSP, plus frame-ancestors (which a meta CSP
 * cannot carry, CSP3 §6.4.2) so no other site can frame the inspector.
 * inspector-site.test.ts checks that the two stay the same.
 */
export const INSPECTOR_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** On every answer of the UI listener. */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', INSPECTOR_CSP],
  // For browsers without CSP frame-ancestors (RFC 7034).
  ['X-Frame-Options', 'DENY'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  // No other window keeps a handle on ours; no other site may embed our answers (Fetch §3.7 CORP).
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/** The commands the page can give, implemented by serve-ui.ts over the capture engine. */
export interface InspectorControl {
  init(): InspectorInit;
  /** Validate and apply a canned response (the JSON body, unchecked). */
  setResponse(input: unknown): CommandResult;
  /** Validate a listen address and move the capture listener there (the JSON body, unchecked). */
  setListen(input: unknown): CommandResult | Promise<CommandResult>;
}

export interface InspectorSiteOptions {
  /** The built renderer (dist/renderer). */
  rendererRoot: string;
  secret: string;
  uiHost: string;
  uiPort: number;
  /** The one-time open ticket (access.ts), when `npm start` gave one. */
  openTicket?: OpenTicket | null;
  feed: RecordFeed;
  control: InspectorControl;
}

/** `headers` plus every security header whose name is not already there. */
function withSecurityHeaders(headers: ReadonlyArray<readonly [string, string]> | undefined): Array<readonly [string, string]> {
  const out = [...(headers ?? [])];
  const present = new Set(out.map(([n]) => n.toLowerCase()));
  for (const h of SECURITY_HEADERS) if (!present.has(h[0].toLowerCase())) out.push(h);
  return out;
}

function secured<T extends HandlerResult>(result: T): T {
  return { ...result, headers: withSecurityHeaders(result.headers) };
}

const failure = (field: string, message: string): CommandResult => ({ ok: false, errors: [{ field, message }] });

/** RFC 9110 §8.3.1: the media type before any parameter, case-insensitive. */
function isJsonContentType(value: string | null): boolean {
  return value !== null && (value.split(';')[0] ?? '').trim().toLowerCase() === 'application/json';
}

/** The body as JSON (RFC 8259 §8.1: UTF-8), or the answer that refuses it. */
function readJsonBody(req: HandlerRequest): { ok: true; value: unknown } | { ok: false; answer: WholeResponse } {
  if (req.headerCount('content-type') !== 1 || !isJsonContentType(req.header('content-type'))) {
    return { ok: false, answer: json(415, failure('', 'the body must be sent as Content-Type: application/json')) };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    return { ok: false, answer: json(400, failure('', 'the body is not valid UTF-8')) };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, answer: json(400, failure('', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`)) };
  }
}

function commandAnswer(result: CommandResult): WholeResponse {
  return json(result.ok ? 200 : 422, result);
}

/**
 * A command whose control may answer later: a synchronous result is one
 * whole answer; a promise is answered as a stream of one JSON document
 * (status 200: the head is sent before the result is known), so the engine's
 * synchronous handler never waits.
 */
function command(run: (input: unknown) => CommandResult | Promise<CommandResult>): RequestHandler {
  return (req) => {
    const body = readJsonBody(req);
    if (!body.ok) return body.answer;
    let result: CommandResult | Promise<CommandResult>;
    try {
      result = run(body.value);
    } catch (err) {
      return json(500, failure('', `the command failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    if (!(result instanceof Promise)) return commandAnswer(result);
    const pending = result;
    const answer: StreamedResponse = {
      kind: 'stream',
      status: 200,
      headers: [['Content-Type', 'application/json'], ['Cache-Control', 'no-store']],
      open(stream) {
        pending.then(
          (r) => stream.write(JSON.stringify(r)),
          (err: unknown) => stream.write(JSON.stringify(failure('', `the command failed: ${err instanceof Error ? err.message : String(err)}`))),
        ).finally(() => stream.end());
      },
    };
    return answer;
  };
}

/** The answer to a request checkAccess refused. */
function refusal(status: 401 | 403, reason: string): WholeResponse {
  const answer = plainText(status, `${status === 401 ? 'Unauthorized' : 'Forbidden'}: ${reason}\n`);
  // RFC 9110 §15.5.2: a 401 carries a challenge. The secret is a cookie, which no standard scheme names;
  // browsers ignore an unknown scheme (no password dialog), and the body says what to do.
  const headers = status === 401 ? [...answer.headers!, ['WWW-Authenticate', 'Cookie realm="sockeye inspector"'] as const] : answer.headers;
  return secured({ ...answer, headers });
}

/**
 * The UI listener's admission check (ListenAddress.admit): a request that
 * carries a body is checked at its head, so one without the secret is refused
 * before the engine reads up to UI_MAX_BODY_BYTES of it. Requests without a
 * body are left to the site (the same check, and the open ticket is only
 * ever spent there).
 */
export function createInspectorAdmission(opts: Pick<InspectorSiteOptions, 'secret' | 'uiHost' | 'uiPort'>): RequestAdmission {
  const ctx = { secret: opts.secret, uiHost: opts.uiHost, uiPort: opts.uiPort, ticket: null };
  return (req) => {
    const hasBody = req.header('content-length') !== null || req.header('transfer-encoding') !== null;
    if (!hasBody) return null;
    const access = checkAccess(req, ctx);
    return access.kind === 'refuse' ? refusal(access.status, access.reason) : null;
  };
}

/**
 * The UI listener's handler. Synchronous and quick, as handlers must be:
 * static files are read synchronously (small built files, cached).
 */
export function createInspectorSite(opts: InspectorSiteOptions): RequestHandler {
  const ctx = { secret: opts.secret, uiHost: opts.uiHost, uiPort: opts.uiPort, ticket: opts.openTicket ?? null };
  const files = staticFiles({ root: opts.rendererRoot });
  const router = createRouter([
    { path: UI_PATHS.init, methods: ['GET'], handler: () => json(200, opts.control.init()) },
    {
      path: UI_PATHS.events,
      methods: ['GET'],
      handler: (req): StreamedResponse => ({
        kind: 'stream',
        status: 200,
        headers: [
          ['Content-Type', RECORDS_CONTENT_TYPE],
          ['Cache-Control', 'no-store'],
          ['X-Content-Type-Options', 'nosniff'],
          // nginx and similar proxies would otherwise hold frames back in their buffers.
          ['X-Accel-Buffering', 'no'],
        ],
        open: (stream) => opts.feed.subscribe(stream, new URLSearchParams(req.query).get(EVENTS_AFTER_PARAM)),
      }),
    },
    { path: UI_PATHS.response, methods: ['POST'], handler: command((input) => opts.control.setResponse(input)) },
    { path: UI_PATHS.listen, methods: ['POST'], handler: command((input) => opts.control.setListen(input)) },
  ], (req) => files(req) ?? plainText(404, 'Not Found\n'));

  return (req) => {
    const access = checkAccess(req, ctx);
    switch (access.kind) {
      case 'refuse':
        return refusal(access.status, access.reason);
      case 'allow-and-set-cookie':
        // RFC 9110 §15.4.4: 303 makes the browser GET the Location, here the same page without the secret.
        return secured({
          kind: 'whole',
          status: 303,
          headers: [['Location', access.location], ['Content-Type', 'text/plain; charset=utf-8'], ...access.headers],
          body: 'See Other\n',
        });
      case 'allow':
        return secured(router(req));
    }
  };
}
