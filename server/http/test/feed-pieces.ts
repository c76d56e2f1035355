/**
 * Feeding a chunked body to a decoder in pieces, checking the per-feed
 * contract on the way. Shared by chunked-decoder.test.ts (node:assert) and
 * fuzz.ts (its property check): each passes how a broken rule is reported.
 */
import { isCaptureErrorCode, type CaptureErrorCode, type HeaderPair } from '../../../common/capture-record';
import { ChunkedDecoder, type ChunkedLimits } from '../chunked-decoder';

/** Reports a rule of the feed contract that did not hold (throws). */
export type FeedCheck = (ok: boolean, message: () => string) => void;

export interface FedPieces {
  kind: 'partial' | 'complete' | 'error';
  /** Bytes consumed over every feed, the last one included. */
  consumed: number;
  data: string;
  decodedLength: number;
  /** The trailers when complete; empty otherwise. */
  trailers: HeaderPair[];
  code: CaptureErrorCode | null;
}

/**
 * Feeds `input` to a new decoder in pieces ending at each of `cuts` (and the
 * end), checking: data ranges lie inside the fed piece, decodedLength counts
 * the data, partial consumes the whole piece, complete and error end the body
 * (later feeds consume nothing, give no data and repeat the result), an error
 * has a known code and a detail. With `copy`, each piece is a buffer of its
 * own; else a window of `input`.
 */
export function feedPieces(input: Uint8Array, cuts: readonly number[], copy: boolean, limits: ChunkedLimits | undefined, check: FeedCheck): FedPieces {
  const decoder = new ChunkedDecoder(limits);
  let data = '';
  let consumed = 0;
  let from = 0;
  for (const to of [...cuts, input.length]) {
    const buf = copy ? input.slice(from, to) : input;
    const start = copy ? 0 : from;
    const end = copy ? to - from : to;
    const r = decoder.feed(buf, start, end, (b, f, t) => {
      check(start <= f && f < t && t <= end, () => `data range ${f}..${t} outside the fed ${start}..${end}`);
      data += Buffer.from(b.subarray(f, t)).toString('latin1');
    });
    check(decoder.decodedLength === data.length, () => `decodedLength ${decoder.decodedLength}, data ${data.length}`);
    check(r.kind === 'partial' || r.kind === 'complete' || r.kind === 'error', () => `kind ${String((r as { kind: unknown }).kind)}`);
    if (r.kind === 'partial') {
      check(r.consumed === end - start, () => `partial consumed ${r.consumed} of ${end - start}: partial consumes everything it is given`);
      consumed += r.consumed;
      from = to;
      continue;
    }
    check(r.consumed >= 0 && r.consumed <= end - start, () => `consumed ${r.consumed} of ${end - start}`);
    const again = decoder.feed(buf, start, end, () => check(false, () => 'data after the end'));
    check(again.kind === r.kind && again.consumed === 0, () => `after ${r.kind}, a feed gave ${again.kind} consuming ${again.consumed}`);
    consumed += r.consumed;
    if (r.kind === 'error') {
      check(isCaptureErrorCode(r.code) && r.detail.length > 0, () => `error ${r.code} "${r.detail}"`);
      check(again.kind === 'error' && again.code === r.code, () => `after error ${r.code}, a feed gave ${again.kind === 'error' ? again.code : again.kind}`);
      return { kind: 'error', consumed, data, decodedLength: decoder.decodedLength, trailers: [], code: r.code };
    }
    return { kind: 'complete', consumed, data, decodedLength: decoder.decodedLength, trailers: r.trailers, code: null };
  }
  return { kind: 'partial', consumed, data, decodedLength: decoder.decodedLength, trailers: [], code: null };
}
