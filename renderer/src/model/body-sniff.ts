/**
 * Which viewer a body opens in: from its Content-Type first, then from the
 * bytes themselves (a client may send JSON as text/plain or no type at all).
 * The user can always switch; this only picks the first view.
 */
import { parseMediaType } from './media-type';
import { scanJson } from './json-pretty';

export const BODY_VIEWERS = ['text', 'json', 'form', 'multipart', 'hex', 'image'] as const;
export type BodyViewer = (typeof BODY_VIEWERS)[number];

/** Bytes looked at when guessing text from binary. */
const SNIFF_BYTES = 4096;
/** Above this share of control bytes, a body is binary. */
const MAX_CONTROL_SHARE = 0.05;
/** Bodies up to this size are fully checked as JSON when they look like JSON. */
const JSON_SNIFF_MAX_BYTES = 256 * 1024;

/** File signatures of image formats a browser shows in <img>. */
const IMAGE_SIGNATURES: readonly (readonly number[])[] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0x42, 0x4d], // BMP
];

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

/** An image format recognised from its first bytes, as a media type, or null. */
export function sniffImageType(bytes: Uint8Array): string | null {
  if (startsWith(bytes, IMAGE_SIGNATURES[0]!)) return 'image/png';
  if (startsWith(bytes, IMAGE_SIGNATURES[1]!)) return 'image/jpeg';
  if (startsWith(bytes, IMAGE_SIGNATURES[2]!)) return 'image/gif';
  // RIFF....WEBP
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(bytes, IMAGE_SIGNATURES[3]!) && bytes.length > 14) return 'image/bmp';
  return null;
}

/** True when the first bytes look like binary data rather than text (NUL, or many control bytes). */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0) return true;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  return n > 0 && control / n > MAX_CONTROL_SHARE;
}

function isJsonType(essence: string): boolean {
  return essence === 'application/json' || essence.endsWith('+json') || essence === 'text/json';
}

function isTextType(essence: string): boolean {
  return essence.startsWith('text/') || essence.endsWith('+xml') || essence === 'application/xml' ||
    essence === 'application/javascript' || essence === 'application/ecmascript' || essence === 'application/graphql';
}

/** Pick the first viewer for a body. */
export function pickViewer(contentType: string | null, body: Uint8Array): BodyViewer {
  const mt = contentType === null ? null : parseMediaType(contentType);
  if (mt) {
    if (mt.type === 'image') return 'image';
    if (isJsonType(mt.essence)) return 'json';
    if (mt.essence === 'application/x-www-form-urlencoded') return 'form';
    if (mt.essence === 'multipart/form-data' && mt.params.has('boundary')) return 'multipart';
    if (isTextType(mt.essence)) return 'text';
  }
  if (body.length === 0) return 'text';
  if (sniffImageType(body)) return 'image';
  if (looksBinary(body)) return 'hex';
  const first = firstNonSpace(body);
  if ((first === 0x7b || first === 0x5b) && body.length <= JSON_SNIFF_MAX_BYTES) {
    if (scanJson(decodeBody(body, null)).ok) return 'json';
  }
  return 'text';
}

function firstNonSpace(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}

/**
 * Body bytes as text in the charset the Content-Type names (UTF-8 when none
 * or unknown). Invalid sequences become U+FFFD; nothing throws.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const charset = contentType === null ? undefined : parseMediaType(contentType)?.params.get('charset');
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8', { fatal: false });
  } catch {
    decoder = new TextDecoder('utf-8', { fatal: false });
  }
  return decoder.decode(bytes);
}
