/**
 * A small router for handler listeners (server/http-handler.ts): path and
 * method to a RequestHandler, with the 404 and 405 answers HTTP asks for.
 * A general engine feature; it knows nothing of the browser inspector.
 */
import type { HandlerRequest, RequestHandler, WholeResponse } from './http-handler';

export interface Route {
  /**
   * An exact path (`/api/init`), or a prefix ending in `/*` (`/assets/*`
   * matches `/assets/` and everything below it, not `/assets`). Compared with
   * the request's path as sent: not percent-decoded, query excluded.
   */
  path: string;
  /** Methods this route answers, case-sensitive (RFC 9110 §9.1). GET implies HEAD. */
  methods: readonly string[];
  handler: RequestHandler;
}

/**
 * A handler that sends each request to the first route whose path matches and
 * whose methods include the request's method.
 *
 * - No route's path matches: `fallback`, or 404 when there is none.
 * - Some route's path matches but none takes the method: 405 with `Allow`
 *   listing every method of the matching routes (RFC 9110 §15.5.6).
 * - HEAD is taken by any route that takes GET (RFC 9110 §9.3.2); its handler
 *   sees method HEAD and is expected to answer as for GET.
 *
 * The routes are copied; later changes to the array do not affect the router.
 */
export function createRouter(routes: readonly Route[], fallback?: RequestHandler): RequestHandler {
  const table = routes.map((r) => ({ ...r, matches: pathMatcher(r.path), methods: withHead(r.methods) }));
  return (req: HandlerRequest) => {
    let allowed: string[] | null = null;
    for (const route of table) {
      if (!route.matches(req.path)) continue;
      if (route.methods.includes(req.method)) return route.handler(req);
      allowed = [...(allowed ?? []), ...route.methods.filter((m) => !allowed?.includes(m))];
    }
    if (allowed !== null) {
      // RFC 9110 §15.5.6: a 405 must say which methods the target does support.
      const res = plainText(405, 'Method Not Allowed\n');
      return { ...res, headers: [...res.headers!, ['Allow', allowed.join(', ')]] };
    }
    return fallback ? fallback(req) : plainText(404, 'Not Found\n');
  };
}

function pathMatcher(path: string): (requestPath: string) => boolean {
  if (path.endsWith('/*')) {
    const prefix = path.slice(0, -1);
    return (p) => p.startsWith(prefix);
  }
  return (p) => p === path;
}

/** The route's methods with HEAD added right after GET when it is missing (RFC 9110 §9.3.2). */
function withHead(methods: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of methods) {
    if (!out.includes(m)) out.push(m);
    if (m === 'GET' && !methods.includes('HEAD') && !out.includes('HEAD')) out.push('HEAD');
  }
  return out;
}

/** Answers made here or by a handler's own logic are never to be stored by caches (RFC 9111 §5.2.2.5). */
const NO_STORE: readonly [string, string] = ['Cache-Control', 'no-store'];
const NOSNIFF: readonly [string, string] = ['X-Content-Type-Options', 'nosniff'];

/** A whole text/plain (UTF-8) answer that caches must not store. */
export function plainText(status: number, text: string): WholeResponse {
  return { kind: 'whole', status, headers: [['Content-Type', 'text/plain; charset=utf-8'], NO_STORE, NOSNIFF], body: text };
}

/**
 * A whole application/json answer of `JSON.stringify(value)` that caches must
 * not store. Throws (TypeError) for values JSON.stringify cannot encode, as
 * JSON.stringify does; `undefined` is encoded as `null`.
 */
export function json(status: number, value: unknown): WholeResponse {
  return { kind: 'whole', status, headers: [['Content-Type', 'application/json'], NO_STORE, NOSNIFF], body: JSON.stringify(value) ?? 'null' };
}
