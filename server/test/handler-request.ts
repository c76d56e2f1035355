/** Test helper: a HandlerRequest built from a method, a target and header pairs, as the engine would hand it over. */
import type { HeaderPair } from '../../common/capture-record';
import type { HandlerRequest, HandlerResult, WholeResponse } from '../http-handler';

/** A Host field is added when `headers` has none (every HTTP/1.1 request has one). A string body is latin1. */
export function fakeRequest(method: string, target: string, headers: HeaderPair[] = [], body: Buffer | string = ''): HandlerRequest {
  const withHost: HeaderPair[] = headers.some(([n]) => n.toLowerCase() === 'host') ? headers : [['Host', 'localhost'], ...headers];
  return handlerRequestOf(method, target, withHost, typeof body === 'string' ? Buffer.from(body, 'latin1') : body, 8080);
}

/** The HandlerRequest for exactly these header fields and body, on a listener at 127.0.0.1:listenerPort. */
export function handlerRequestOf(method: string, target: string, headers: HeaderPair[], body: Buffer, listenerPort: number): HandlerRequest {
  const q = target.indexOf('?');
  const named = (name: string): HeaderPair[] => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase());
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    version: 11,
    headers,
    body,
    peer: { family: 'IPv4', address: '127.0.0.1', port: 40000 },
    listener: { family: 'IPv4', address: '127.0.0.1', port: listenerPort },
    header: (name) => named(name)[0]?.[1] ?? null,
    headerCount: (name) => named(name).length,
  };
}

/** The result as a whole response; fails the test (throws) for a stream or null. */
export function asWhole(result: HandlerResult | null): WholeResponse {
  if (result === null || result.kind !== 'whole') throw new Error(`expected a whole response, got ${result === null ? 'null' : result.kind}`);
  return result;
}

/** The first value of a header in a response (case-insensitive), or null. */
export function responseHeader(res: { headers?: ReadonlyArray<readonly [string, string]> }, name: string): string | null {
  return res.headers?.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? null;
}

/** A whole response's body as a string ('' when there is none). */
export function bodyText(res: WholeResponse): string {
  return res.body === undefined ? '' : Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body;
}
