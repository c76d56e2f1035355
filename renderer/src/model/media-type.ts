/**
 * Media types and header parameters, parsed leniently for display decisions
 * (which viewer, which charset, which multipart boundary). RFC 9110 §8.3.1:
 *   media-type = type "/" subtype parameters
 *   parameters = *( OWS ";" OWS [ parameter ] )
 *   parameter  = token "=" ( token / quoted-string )
 * The same parameter grammar serves Content-Disposition (RFC 6266 §4.1).
 * Never throws; what does not parse is left out.
 */
import type { HeaderPair } from '../../../common/capture-record';

export interface MediaType {
  /** Lowercased "type/subtype". */
  essence: string;
  type: string;
  subtype: string;
  /** Parameter names lowercased; the first occurrence wins. */
  params: Map<string, string>;
}

/** Parse `; name=value; name="quoted \" value"` parameters starting at `from`. */
export function parseParameters(s: string, from: number): Map<string, string> {
  const params = new Map<string, string>();
  let i = from;
  while (i < s.length) {
    const semi = s.indexOf(';', i);
    if (semi < 0) break;
    i = semi + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    const eq = s.indexOf('=', i);
    const nextSemi = s.indexOf(';', i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) continue;
    const name = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (s[i] === '"') {
      // RFC 9110 §5.6.4 quoted-string: a backslash quotes the next character.
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        value += s[i];
        i++;
      }
      i++;
    } else {
      const end = s.indexOf(';', i);
      value = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? s.length : end;
    }
    if (name !== '' && !params.has(name)) params.set(name, value);
  }
  return params;
}

export function parseMediaType(value: string): MediaType | null {
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const slash = head.indexOf('/');
  if (slash <= 0 || slash === head.length - 1) return null;
  return {
    essence: head,
    type: head.slice(0, slash),
    subtype: head.slice(slash + 1),
    params: semi < 0 ? new Map() : parseParameters(value, semi),
  };
}

/** The first value of a header, by case-insensitive name, or null. */
export function headerValue(headers: readonly HeaderPair[], name: string): string | null {
  const n = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === n) return v;
  return null;
}
