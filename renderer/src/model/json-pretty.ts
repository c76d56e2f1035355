/**
 * JSON checked and re-indented token by token (RFC 8259). Unlike
 * JSON.parse + JSON.stringify this keeps every literal exactly as sent (big
 * numbers, "1.0", escapes, duplicate keys), and on invalid input it says
 * where and why, which JSON.parse messages do not reliably do. Iterative (no
 * recursion), so deep nesting cannot overflow the stack. Never throws.
 */

export const JSON_INDENT = '  ';

export type JsonResult =
  | { ok: true; text: string }
  /** offset is a character index into the input; line and column count from 1. */
  | { ok: false; message: string; offset: number; line: number; column: number };

type Expect =
  | 'value' // top-level value or after ":"
  | 'element' // array element after ","
  | 'element-or-close' // right after "["
  | 'key' // object key after ","
  | 'key-or-close' // right after "{"
  | 'colon'
  | 'comma-or-close'
  | 'end';

// RFC 8259 §6.
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPABLE = '"\\/bfnrt';

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

function describe(c: string | undefined): string {
  if (c === undefined) return 'end of input';
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

/** End index (exclusive) of the string starting at s[i] === '"', or an error. */
function scanString(s: string, i: number): number | { message: string; at: number } {
  let j = i + 1;
  while (j < s.length) {
    const c = s[j]!;
    if (c === '"') return j + 1;
    if (c === '\\') {
      const e = s[j + 1];
      if (e === 'u') {
        if (!(isHex(s[j + 2]) && isHex(s[j + 3]) && isHex(s[j + 4]) && isHex(s[j + 5]))) {
          return { message: 'a \\u escape needs four hex digits', at: j };
        }
        j += 6;
        continue;
      }
      if (e === undefined || !ESCAPABLE.includes(e)) return { message: `invalid escape \\${e ?? ''} in string`, at: j };
      j += 2;
      continue;
    }
    if (c.charCodeAt(0) < 0x20) return { message: `${describe(c)} in a string must be escaped`, at: j };
    j++;
  }
  return { message: 'unterminated string', at: i };
}

function expected(state: Expect, closer: string): string {
  switch (state) {
    case 'value': case 'element': return 'a value';
    case 'element-or-close': return "a value or ']'";
    case 'key': return 'a property name in double quotes';
    case 'key-or-close': return "a property name in double quotes or '}'";
    case 'colon': return "':' after the property name";
    case 'comma-or-close': return `',' or '${closer}'`;
    case 'end': return 'nothing more after the JSON value';
  }
}

/**
 * Check (and with `pretty`, re-indent) JSON text. A leading byte order mark is
 * ignored (RFC 8259 §8.1 allows it).
 */
function run(input: string, pretty: boolean): JsonResult {
  const s = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const shift = s.length === input.length ? 0 : 1;
  const out: string[] = [];
  const stack: string[] = []; // closers: '}' or ']'
  let state: Expect = 'value';
  let i = 0;

  const fail = (message: string, at: number): JsonResult => {
    const before = input.slice(0, at + shift);
    const line = before.split('\n').length;
    const column = at + shift - before.lastIndexOf('\n');
    return { ok: false, message, offset: at + shift, line, column };
  };
  const newline = (depth: number): void => {
    if (pretty) out.push('\n', JSON_INDENT.repeat(depth));
  };
  const afterValue = (): Expect => (stack.length === 0 ? 'end' : 'comma-or-close');

  for (;;) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    const closer = stack[stack.length - 1] ?? '';
    if (i >= s.length) {
      if (state === 'end') return { ok: true, text: out.join('') };
      return fail(`unexpected end of input: expected ${expected(state, closer)}`, i);
    }
    const c = s[i]!;
    if ((state === 'element-or-close' && c === ']') || (state === 'key-or-close' && c === '}')) {
      stack.pop();
      if (pretty) out.push(c);
      i++;
      state = afterValue();
      continue;
    }
    if (state === 'comma-or-close') {
      if (c === ',') {
        if (pretty) out.push(',');
        state = closer === '}' ? 'key' : 'element';
        i++;
        continue;
      }
      if (c === closer) {
        stack.pop();
        newline(stack.length);
        if (pretty) out.push(c);
        i++;
        state = afterValue();
        continue;
      }
      return fail(`unexpected ${describe(c)}: expected ${expected(state, closer)}`, i);
    }
    if (state === 'colon') {
      if (c !== ':') return fail(`unexpected ${describe(c)}: expected ${expected(state, closer)}`, i);
      if (pretty) out.push(': ');
      state = 'value';
      i++;
      continue;
    }
    if (state === 'end') return fail(`unexpected ${describe(c)} after the JSON value`, i);
    if (state === 'key' || state === 'key-or-close') {
      if (c !== '"') return fail(`unexpected ${describe(c)}: expected ${expected(state, closer)}`, i);
      const end = scanString(s, i);
      if (typeof end !== 'number') return fail(end.message, end.at);
      newline(stack.length);
      if (pretty) out.push(s.slice(i, end));
      i = end;
      state = 'colon';
      continue;
    }
    // A value: 'value', 'element' or 'element-or-close'.
    if (state !== 'value') newline(stack.length);
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? '}' : ']');
      if (pretty) out.push(c);
      state = c === '{' ? 'key-or-close' : 'element-or-close';
      i++;
      continue;
    }
    let end: number;
    if (c === '"') {
      const r = scanString(s, i);
      if (typeof r !== 'number') return fail(r.message, r.at);
      end = r;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(s);
      if (!m) return fail('invalid number', i);
      end = i + m[0].length;
    } else if (s.startsWith('true', i)) end = i + 4;
    else if (s.startsWith('false', i)) end = i + 5;
    else if (s.startsWith('null', i)) end = i + 4;
    else return fail(`unexpected ${describe(c)}: expected ${expected(state, closer)}`, i);
    if (pretty) out.push(s.slice(i, end));
    i = end;
    state = afterValue();
  }
}

/** Re-indent JSON text (2 spaces), keeping every literal as written; or say where it is invalid. */
export function prettyJson(text: string): JsonResult {
  return run(text, true);
}

/** Only check JSON text (no output built). */
export function scanJson(text: string): JsonResult {
  return run(text, false);
}

/** One line for people: "line 3, column 7: unexpected '}': expected a value". */
export function describeJsonError(r: Extract<JsonResult, { ok: false }>): string {
  return `Not valid JSON at line ${r.line}, column ${r.column} (character ${r.offset}): ${r.message}`;
}
