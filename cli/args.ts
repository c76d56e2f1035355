/**
 * The command line, parsed into a plain value. Pure: no I/O, no process
 * access, never throws. Every problem comes back as one message (without the
 * `sockeye: ` prefix, which main adds) so the caller prints one line and
 * exits 2.
 *
 * Options take their value as the next argument or after `=`
 * (`--port 0`, `--port=0`). The next argument is always taken as the value,
 * even when it starts with `-`, so `--body -x` works. Each single-valued
 * option may be given once; `--header` repeats.
 */
import { validateListen } from '../common/app-settings';
import { FLOOD_RECORDS_PER_SECOND, PACED_BYTES_PER_SECOND } from './ui/record-feed';
import type { HeaderPair } from '../common/capture-record';
import { MAX_CANNED_STATUS, MIN_CANNED_STATUS } from '../common/canned-response';
import {
  DEFAULT_BODY_TIMEOUT_MS, DEFAULT_CAPTURE_BODY_BYTES, DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS,
} from '../server/engine-defaults';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
/** The browser inspector (--ui) listens on loopback unless told otherwise; its port is picked by the system. */
export const DEFAULT_UI_HOST = '127.0.0.1';
export const DEFAULT_UI_PORT = 0;
/**
 * `--ui-feed-rate` in KiB a second: in a flood the inspector page is fed no
 * more (cli/ui/record-feed.ts, pacing). 2 MiB/s is about 11,000 small
 * requests a second.
 */
export const DEFAULT_UI_FEED_RATE_KIB = PACED_BYTES_PER_SECOND / 1024;
/** The largest `--ui-feed-rate` (1 GiB/s: far past anything a page can take). */
export const MAX_UI_FEED_RATE_KIB = 1024 * 1024;
export const MAX_PORT = 65535;
/** Each captured body is held in memory and printed; a larger limit is refused rather than risking the process. */
export const MAX_CAPTURE_BODY_BYTES = 1024 * 1024 * 1024;
/**
 * Longest timeout accepted (one day). The engine takes any positive number;
 * past a day a value is more likely a slip (seconds typed as minutes) than a wish.
 */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Largest connection cap accepted; the descriptor limit (ulimit -n) usually binds well before it. */
export const MAX_CONNECTIONS_LIMIT = 1_000_000;

/** What `sockeye serve` was asked to do; response fields are only those given on the command line. */
export interface ServeOptions {
  host: string;
  port: number;
  status: number | null;
  /** From `--header`, in command-line order. */
  headers: HeaderPair[];
  body: string | null;
  responseFile: string | null;
  json: boolean;
  captureBodyBytes: number;
  headTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  /** `--ui`: also serve the browser inspector. */
  ui: boolean;
  uiHost: string;
  uiPort: number;
  /** `--ui-feed-rate`: KiB a second the page is fed while capture outpaces it; 0 never holds it back. */
  uiFeedRateKiB: number;
}

/** `sockeye serve` with no options. Copy it (the headers array is shared). */
export const DEFAULT_SERVE_OPTIONS: Readonly<ServeOptions> = Object.freeze({
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  status: null,
  headers: [],
  body: null,
  responseFile: null,
  json: false,
  captureBodyBytes: DEFAULT_CAPTURE_BODY_BYTES,
  headTimeoutMs: DEFAULT_HEAD_TIMEOUT_MS,
  bodyTimeoutMs: DEFAULT_BODY_TIMEOUT_MS,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  ui: false,
  uiHost: DEFAULT_UI_HOST,
  uiPort: DEFAULT_UI_PORT,
  uiFeedRateKiB: DEFAULT_UI_FEED_RATE_KIB,
});

export type Command =
  | { command: 'help'; topic: 'main' | 'serve' }
  | { command: 'version' }
  | { command: 'serve'; options: ServeOptions };

export type ArgsResult = { ok: true; value: Command } | { ok: false; error: string };

export const MAIN_HELP = `Usage: sockeye <command> [options]

Sockeye is an HTTP request inspector: it captures every request byte-exact
and answers it with a canned response.

Commands:
  serve           listen for HTTP requests and print each one

Options:
  -h, --help      show this help
  --version       print the version

Run 'sockeye serve --help' for the options of serve.
`;

export const SERVE_HELP = `Usage: sockeye serve [options]

Listen for HTTP/1.1 requests, answer each with a canned response, and print
one line per request (one JSON object per line with --json). Stop with Ctrl-C.

Options:
  --host ADDR               IPv4 or IPv6 address, or localhost (default ${DEFAULT_HOST})
  --port N                  TCP port; 0 picks a free one (default ${DEFAULT_PORT})
  --status N                response status, ${MIN_CANNED_STATUS}-${MAX_CANNED_STATUS} (default 200)
  --header 'Name: value'    add a response header; repeatable, order kept
  --body TEXT               response body, sent as UTF-8 (default "ok\\n")
  --response FILE           canned response as JSON:
                              {"status": 200, "reason": "", "headers": [["Name", "value"]],
                               "body": "", "bodyEncoding": "utf8" | "base64"}
                            --status and --body override its fields; --header adds to its headers
  --capture-body-bytes N    body bytes kept per request (default ${DEFAULT_CAPTURE_BODY_BYTES})
  --head-timeout MS         a request head not complete this long after its first byte
                            gets 408 and the connection is closed (default ${DEFAULT_HEAD_TIMEOUT_MS})
  --body-timeout MS         a body that receives nothing this long gets 408 and the
                            connection is closed (default ${DEFAULT_BODY_TIMEOUT_MS})
  --idle-timeout MS         a keep-alive connection with no request in progress, or a
                            client not reading its answer, is closed (default ${DEFAULT_IDLE_TIMEOUT_MS})
  --max-connections N       connections open at once; past it new ones wait in the
                            kernel's backlog (default ${DEFAULT_MAX_CONNECTIONS})
  --json                    print one JSON object per request instead of a line
  --ui                      also serve the inspector to a web browser; its address, with a
                            per-run secret, is printed on the second line:
                              inspector on http://127.0.0.1:PORT/?secret=...
                            open that URL (it sets a cookie; keep the URL to yourself)
  --ui-port N               the inspector's TCP port; 0 picks a free one (default ${DEFAULT_UI_PORT})
  --ui-host ADDR            the inspector's IP address (default ${DEFAULT_UI_HOST}); another than
                            loopback lets other machines reach it (a warning is printed)
  --ui-feed-rate KIB        while more than ${FLOOD_RECORDS_PER_SECOND} requests a second arrive, the page is fed
                            at most this many KiB of records a second, so that the browser
                            leaves the CPU to capture; it shows how many are still to come
                            and catches up when traffic slows. 0 never holds the page back
                            (default ${DEFAULT_UI_FEED_RATE_KIB}, about 11,000 small requests a second)
  -h, --help                show this help

Timeouts are in milliseconds, from 1 to ${MAX_TIMEOUT_MS}; they are checked a few times a second.
`;

const VALUE_OPTION_NAMES = [
  'host', 'port', 'status', 'header', 'body', 'response', 'capture-body-bytes',
  'head-timeout', 'body-timeout', 'idle-timeout', 'max-connections', 'ui-port', 'ui-host',
  'ui-feed-rate',
] as const;
type ValueOption = (typeof VALUE_OPTION_NAMES)[number];
const VALUE_OPTIONS: ReadonlySet<string> = new Set<string>(VALUE_OPTION_NAMES);
const FLAG_OPTIONS: ReadonlySet<string> = new Set(['json', 'help', 'ui']);

const fail = (error: string): ArgsResult => ({ ok: false, error });

/** Digits only (no sign, no exponent, no spaces), within [min, max]; null otherwise. */
function parseWholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/**
 * Parse a numeric option's value and hand it to `set`; returns the message for an unusable value.
 * `unit` (e.g. "milliseconds") names what the number counts, in the message.
 */
function wholeNumberOption(name: string, value: string, min: number, max: number, set: (n: number) => void, unit?: string): string | null {
  const n = parseWholeNumber(value, min, max);
  if (n === null) return `--${name} must be a whole number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, got "${value}"`;
  set(n);
  return null;
}

/**
 * `Name: value` split at the first colon. The name is kept as typed (the
 * response validator rejects one that is not a token, e.g. with a space before
 * the colon); the value loses surrounding spaces and tabs (RFC 9110 §5.5 OWS).
 */
export function parseHeaderArgument(text: string): HeaderPair | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return [text.slice(0, colon), text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')];
}

/** Parse `argv` without the node and script paths, e.g. `['serve', '--port', '0']`. */
export function parseArgs(argv: readonly string[]): ArgsResult {
  const [first, ...rest] = argv;
  if (first === undefined) return fail("no command given; run 'sockeye --help' for usage");
  if (first === '-h' || first === '--help' || first === 'help') {
    return { ok: true, value: { command: 'help', topic: rest[0] === 'serve' ? 'serve' : 'main' } };
  }
  if (first === '--version') return { ok: true, value: { command: 'version' } };
  if (first === 'serve') return parseServe(rest);
  if (first.startsWith('-')) return fail(`unknown option ${first}; run 'sockeye --help' for usage`);
  return fail(`unknown command "${first}"; run 'sockeye --help' for usage`);
}

function parseServe(argv: readonly string[]): ArgsResult {
  const options: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, headers: [] };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') return { ok: true, value: { command: 'help', topic: 'serve' } };
    if (!arg.startsWith('--')) {
      return fail(arg.startsWith('-') && arg !== '-' ? `unknown option ${arg}; run 'sockeye serve --help' for usage`
        : `unexpected argument "${arg}"; run 'sockeye serve --help' for usage`);
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (FLAG_OPTIONS.has(name)) {
      if (eq >= 0) return fail(`--${name} takes no value`);
      if (name === 'help') return { ok: true, value: { command: 'help', topic: 'serve' } };
      if (name === 'ui') options.ui = true;
      else options.json = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) return fail(`unknown option --${name}; run 'sockeye serve --help' for usage`);
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined) return fail(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (name !== 'header') {
      if (seen.has(name)) return fail(`--${name} is given more than once`);
      seen.add(name);
    }
    const problem = applyValue(options, name as ValueOption, value);
    if (problem !== null) return fail(problem);
  }
  for (const name of ['ui-port', 'ui-host', 'ui-feed-rate']) {
    if (seen.has(name) && !options.ui) return fail(`--${name} is for the browser inspector; add --ui`);
  }
  return { ok: true, value: { command: 'serve', options } };
}

/** Store one option's value; returns a message when the value is unusable. */
function applyValue(options: ServeOptions, name: ValueOption, value: string): string | null {
  switch (name) {
    case 'host':
      // The engine checks that it is an IP literal (it owns that rule); here only emptiness.
      if (value === '') return '--host needs an address, e.g. 127.0.0.1 or ::1';
      options.host = value;
      return null;
    case 'port':
      return wholeNumberOption(name, value, 0, MAX_PORT, (n) => { options.port = n; });
    case 'status':
      return wholeNumberOption(name, value, MIN_CANNED_STATUS, MAX_CANNED_STATUS, (n) => { options.status = n; });
    case 'header': {
      const header = parseHeaderArgument(value);
      if (header === null) return `--header "${value}" has no colon; use --header 'Name: value'`;
      options.headers.push(header);
      return null;
    }
    case 'body':
      options.body = value;
      return null;
    case 'response':
      if (value === '') return '--response needs a file name';
      options.responseFile = value;
      return null;
    case 'capture-body-bytes':
      return wholeNumberOption(name, value, 0, MAX_CAPTURE_BODY_BYTES, (n) => { options.captureBodyBytes = n; });
    // The engine refuses 0 for every one of these (a zero timeout would close each connection at the first sweep).
    case 'head-timeout':
      return wholeNumberOption(name, value, 1, MAX_TIMEOUT_MS, (n) => { options.headTimeoutMs = n; }, 'milliseconds');
    case 'body-timeout':
      return wholeNumberOption(name, value, 1, MAX_TIMEOUT_MS, (n) => { options.bodyTimeoutMs = n; }, 'milliseconds');
    case 'idle-timeout':
      return wholeNumberOption(name, value, 1, MAX_TIMEOUT_MS, (n) => { options.idleTimeoutMs = n; }, 'milliseconds');
    case 'max-connections':
      return wholeNumberOption(name, value, 1, MAX_CONNECTIONS_LIMIT, (n) => { options.maxConnections = n; });
    case 'ui-port':
      return wholeNumberOption(name, value, 0, MAX_PORT, (n) => { options.uiPort = n; });
    case 'ui-feed-rate':
      return wholeNumberOption(name, value, 0, MAX_UI_FEED_RATE_KIB, (n) => { options.uiFeedRateKiB = n; }, 'KiB a second');
    case 'ui-host': {
      const problem = uiHostProblem(value);
      if (problem !== null) return problem;
      options.uiHost = value;
      return null;
    }
  }
}

/**
 * Why `--ui-host` cannot be used, or null. It must be one IP literal: the
 * inspector refuses requests whose Host does not name the address it listens
 * on (DNS rebinding), so neither a name nor a wildcard (0.0.0.0, ::) will do.
 */
function uiHostProblem(host: string): string | null {
  if (!validateListen({ host, port: 1 }).ok) return `--ui-host must be an IP address such as 127.0.0.1 or ::1 (names are not resolved), got "${host}"`;
  if (host.split(/[:.]/).every((part) => /^0*$/.test(part))) {
    return `--ui-host must be one address, not the wildcard ${host}: the inspector accepts only requests addressed to the address it listens on`;
  }
  return null;
}
