/**
 * Hex dump lines (offset | hex | ASCII), made one line at a time so that a
 * view can show a window of a 1 MiB capture without building it all.
 */

export const BYTES_PER_LINE = 16;

export interface HexLine {
  /** Offset of the line's first byte, 8 hex digits. */
  offset: string;
  /** Bytes as two hex digits, space separated, an extra space after the 8th; padded to full width. */
  hex: string;
  /** The same bytes as text, one character per byte (see asciiOf). */
  ascii: string;
}

const HEX = '0123456789abcdef';
/** Width of a full line's hex text: 16 × "xx " minus the trailing space, plus the middle gap. */
const HEX_WIDTH = BYTES_PER_LINE * 3;

export function lineCount(byteLength: number): number {
  return Math.ceil(byteLength / BYTES_PER_LINE);
}

/**
 * Text rendering of bytes[from, to), one character per byte so the columns
 * line up: printable ASCII (0x20–0x7e) as it is, CR and LF as themselves (so
 * copied text keeps its line structure; the view draws them as marks), every
 * other byte as '.'.
 */
export function asciiOf(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    s += (c >= 0x20 && c <= 0x7e) || c === 0x0d || c === 0x0a ? String.fromCharCode(c) : '.';
  }
  return s;
}

export function hexLine(bytes: Uint8Array, line: number): HexLine {
  const from = line * BYTES_PER_LINE;
  const to = Math.min(bytes.length, from + BYTES_PER_LINE);
  let hex = '';
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (i > from) hex += i - from === BYTES_PER_LINE / 2 ? '  ' : ' ';
    hex += HEX[c >> 4]! + HEX[c & 15]!;
  }
  return {
    offset: from.toString(16).padStart(8, '0'),
    hex: hex.padEnd(HEX_WIDTH, ' '),
    ascii: asciiOf(bytes, from, to),
  };
}
