/**
 * A parsed request as a handler listener's RequestHandler sees it
 * (server/http-handler.ts). Pure: builds strings from the wire bytes the
 * parser delimited; nothing is re-parsed.
 */
import type { HeaderPair, SocketAddress } from '../common/capture-record';
import type { HandlerRequest } from './http-handler';
import type { RequestHead } from './http/parse-types';

/**
 * `raw[rawFrom…]` holds the head the parser delimited (its offsets are
 * relative to rawFrom); `body` is the whole body, owned by the request from
 * now on (the caller copies it out of shared buffers).
 */
export function makeHandlerRequest(
  head: RequestHead, raw: Buffer, rawFrom: number, body: Buffer, peer: SocketAddress, listener: SocketAddress,
): HandlerRequest {
  const text = (from: number, to: number): string => raw.toString('latin1', rawFrom + from, rawFrom + to);
  const headers: HeaderPair[] = [];
  const o = head.headerOffsets;
  for (let i = 0; i < head.headerCount; i++) {
    headers.push([text(o[i * 4]!, o[i * 4 + 1]!), text(o[i * 4 + 2]!, o[i * 4 + 3]!)]);
  }
  const target = text(head.targetStart, head.targetEnd);
  const q = target.indexOf('?');
  return {
    method: text(head.methodStart, head.methodEnd),
    target,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    version: head.version,
    headers,
    body,
    peer,
    listener,
    header(name: string): string | null {
      const lower = name.toLowerCase();
      for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
      return null;
    },
    headerCount(name: string): number {
      const lower = name.toLowerCase();
      let count = 0;
      for (const [n] of headers) if (n.toLowerCase() === lower) count++;
      return count;
    },
  };
}
