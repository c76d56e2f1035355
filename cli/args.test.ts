import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SERVE_OPTIONS, parseArgs, parseHeaderArgument, type Command, type ServeOptions } from './args';

const serve = (options: Partial<ServeOptions>): Command => ({ command: 'serve', options: { ...DEFAULT_SERVE_OPTIONS, ...options } });

const VALID: Array<{ name: string; argv: string[]; want: Command }> = [
  { name: 'help flag', argv: ['--help'], want: { command: 'help', topic: 'main' } },
  { name: 'short help flag', argv: ['-h'], want: { command: 'help', topic: 'main' } },
  { name: 'help command for serve', argv: ['help', 'serve'], want: { command: 'help', topic: 'serve' } },
  { name: 'version', argv: ['--version'], want: { command: 'version' } },
  {
    name: 'serve defaults',
    argv: ['serve'],
    want: serve({
      host: '127.0.0.1', port: 8080, status: null, headers: [], body: null, responseFile: null, json: false, captureBodyBytes: 1048576,
      headTimeoutMs: 30_000, bodyTimeoutMs: 60_000, idleTimeoutMs: 120_000, maxConnections: 10_000,
      ui: false, uiHost: '127.0.0.1', uiPort: 0,
    }),
  },
  { name: 'serve --help', argv: ['serve', '--help'], want: { command: 'help', topic: 'serve' } },
  { name: 'serve -h after other options', argv: ['serve', '--port', '1', '-h'], want: { command: 'help', topic: 'serve' } },
  { name: 'port 0', argv: ['serve', '--port', '0'], want: serve({ port: 0 }) },
  { name: 'port with =', argv: ['serve', '--port=65535'], want: serve({ port: 65535 }) },
  { name: 'IPv6 host', argv: ['serve', '--host', '::1'], want: serve({ host: '::1' }) },
  { name: 'host localhost', argv: ['serve', '--host=localhost'], want: serve({ host: 'localhost' }) },
  { name: 'status', argv: ['serve', '--status', '404'], want: serve({ status: 404 }) },
  { name: 'status bounds', argv: ['serve', '--status', '599'], want: serve({ status: 599 }) },
  {
    name: 'headers repeat in order, value trimmed, name kept as typed',
    argv: ['serve', '--header', 'X-B: 2', '--header=x-a:1', '--header', 'Set-Cookie:  a=b; c  ', '--header', 'X-Empty:'],
    want: serve({ headers: [['X-B', '2'], ['x-a', '1'], ['Set-Cookie', 'a=b; c'], ['X-Empty', '']] }),
  },
  { name: 'header value keeps later colons', argv: ['serve', '--header', 'Link: <http://a:1/>'], want: serve({ headers: [['Link', '<http://a:1/>']] }) },
  { name: 'body', argv: ['serve', '--body', 'hello world'], want: serve({ body: 'hello world' }) },
  { name: 'empty body', argv: ['serve', '--body='], want: serve({ body: '' }) },
  { name: 'body that starts with a dash', argv: ['serve', '--body', '--json'], want: serve({ body: '--json' }) },
  { name: 'response file', argv: ['serve', '--response', 'r.json'], want: serve({ responseFile: 'r.json' }) },
  { name: 'json', argv: ['serve', '--json'], want: serve({ json: true }) },
  { name: 'capture body bytes 0', argv: ['serve', '--capture-body-bytes', '0'], want: serve({ captureBodyBytes: 0 }) },
  { name: 'head timeout', argv: ['serve', '--head-timeout', '500'], want: serve({ headTimeoutMs: 500 }) },
  { name: 'body timeout with =', argv: ['serve', '--body-timeout=1'], want: serve({ bodyTimeoutMs: 1 }) },
  { name: 'idle timeout at its maximum', argv: ['serve', '--idle-timeout', '86400000'], want: serve({ idleTimeoutMs: 86_400_000 }) },
  { name: 'max connections 1', argv: ['serve', '--max-connections', '1'], want: serve({ maxConnections: 1 }) },
  { name: 'max connections at its maximum', argv: ['serve', '--max-connections=1000000'], want: serve({ maxConnections: 1_000_000 }) },
  {
    name: 'all limits together, each to its own field',
    argv: ['serve', '--idle-timeout', '3', '--max-connections', '4', '--head-timeout', '1', '--body-timeout', '2'],
    want: serve({ headTimeoutMs: 1, bodyTimeoutMs: 2, idleTimeoutMs: 3, maxConnections: 4 }),
  },
  { name: 'ui', argv: ['serve', '--ui'], want: serve({ ui: true }) },
  { name: 'ui with port and host, in any order', argv: ['serve', '--ui-port', '9001', '--ui-host=::1', '--ui'], want: serve({ ui: true, uiPort: 9001, uiHost: '::1' }) },
  { name: 'ui port 0', argv: ['serve', '--ui', '--ui-port=0'], want: serve({ ui: true, uiPort: 0 }) },
  { name: 'ui feed rate', argv: ['serve', '--ui', '--ui-feed-rate', '512'], want: serve({ ui: true, uiFeedRateKiB: 512 }) },
  { name: 'ui feed rate 0 (never held back)', argv: ['serve', '--ui', '--ui-feed-rate=0'], want: serve({ ui: true, uiFeedRateKiB: 0 }) },
  { name: 'ui feed rate at its maximum', argv: ['serve', '--ui', '--ui-feed-rate', '1048576'], want: serve({ ui: true, uiFeedRateKiB: 1_048_576 }) },
  { name: 'ui on a LAN address', argv: ['serve', '--ui', '--ui-host', '192.168.1.5'], want: serve({ ui: true, uiHost: '192.168.1.5' }) },
  {
    name: 'everything together',
    argv: ['serve', '--json', '--host', '0.0.0.0', '--port', '9000', '--status', '201', '--header', 'A: 1',
      '--body', 'x', '--response', 'f.json', '--capture-body-bytes', '10'],
    want: serve({ json: true, host: '0.0.0.0', port: 9000, status: 201, headers: [['A', '1']], body: 'x', responseFile: 'f.json', captureBodyBytes: 10 }),
  },
];

for (const { name, argv, want } of VALID) {
  test(`args: ${name}`, () => {
    assert.deepEqual(parseArgs(argv), { ok: true, value: want });
  });
}

const INVALID: Array<{ name: string; argv: string[]; error: string }> = [
  { name: 'no command', argv: [], error: "no command given; run 'sockeye --help' for usage" },
  { name: 'unknown command', argv: ['listen'], error: 'unknown command "listen"; run \'sockeye --help\' for usage' },
  { name: 'unknown top-level option', argv: ['--port', '1'], error: "unknown option --port; run 'sockeye --help' for usage" },
  { name: 'unknown serve option', argv: ['serve', '--verbose'], error: "unknown option --verbose; run 'sockeye serve --help' for usage" },
  { name: 'unknown short option', argv: ['serve', '-p', '80'], error: "unknown option -p; run 'sockeye serve --help' for usage" },
  { name: 'positional argument', argv: ['serve', '8080'], error: 'unexpected argument "8080"; run \'sockeye serve --help\' for usage' },
  { name: 'missing port value', argv: ['serve', '--port'], error: '--port needs a value' },
  { name: 'missing header value', argv: ['serve', '--header'], error: '--header needs a value' },
  { name: 'non-numeric port', argv: ['serve', '--port', 'http'], error: '--port must be a whole number from 0 to 65535, got "http"' },
  { name: 'port too large', argv: ['serve', '--port', '65536'], error: '--port must be a whole number from 0 to 65535, got "65536"' },
  { name: 'negative port', argv: ['serve', '--port=-1'], error: '--port must be a whole number from 0 to 65535, got "-1"' },
  { name: 'port with spaces', argv: ['serve', '--port', ' 80'], error: '--port must be a whole number from 0 to 65535, got " 80"' },
  { name: 'fractional port', argv: ['serve', '--port', '80.5'], error: '--port must be a whole number from 0 to 65535, got "80.5"' },
  { name: 'non-numeric status', argv: ['serve', '--status', 'ok'], error: '--status must be a whole number from 200 to 599, got "ok"' },
  { name: 'status 99', argv: ['serve', '--status', '99'], error: '--status must be a whole number from 200 to 599, got "99"' },
  { name: 'interim status', argv: ['serve', '--status', '101'], error: '--status must be a whole number from 200 to 599, got "101"' },
  { name: 'status 600', argv: ['serve', '--status', '600'], error: '--status must be a whole number from 200 to 599, got "600"' },
  { name: 'header without colon', argv: ['serve', '--header', 'X-A 1'], error: '--header "X-A 1" has no colon; use --header \'Name: value\'' },
  { name: 'empty host', argv: ['serve', '--host='], error: '--host needs an address, e.g. 127.0.0.1 or ::1' },
  { name: 'empty response file name', argv: ['serve', '--response', ''], error: '--response needs a file name' },
  { name: 'json with a value', argv: ['serve', '--json=yes'], error: '--json takes no value' },
  { name: 'port twice', argv: ['serve', '--port', '1', '--port', '2'], error: '--port is given more than once' },
  { name: 'body twice', argv: ['serve', '--body', 'a', '--body=b'], error: '--body is given more than once' },
  {
    name: 'capture limit not a number',
    argv: ['serve', '--capture-body-bytes', '1e6'],
    error: '--capture-body-bytes must be a whole number from 0 to 1073741824, got "1e6"',
  },
  {
    name: 'capture limit too large',
    argv: ['serve', '--capture-body-bytes', '1073741825'],
    error: '--capture-body-bytes must be a whole number from 0 to 1073741824, got "1073741825"',
  },
  { name: 'head timeout 0', argv: ['serve', '--head-timeout', '0'], error: '--head-timeout must be a whole number of milliseconds from 1 to 86400000, got "0"' },
  { name: 'head timeout in seconds', argv: ['serve', '--head-timeout', '5s'], error: '--head-timeout must be a whole number of milliseconds from 1 to 86400000, got "5s"' },
  { name: 'negative body timeout', argv: ['serve', '--body-timeout=-1'], error: '--body-timeout must be a whole number of milliseconds from 1 to 86400000, got "-1"' },
  { name: 'fractional body timeout', argv: ['serve', '--body-timeout', '0.5'], error: '--body-timeout must be a whole number of milliseconds from 1 to 86400000, got "0.5"' },
  { name: 'empty idle timeout', argv: ['serve', '--idle-timeout='], error: '--idle-timeout must be a whole number of milliseconds from 1 to 86400000, got ""' },
  { name: 'idle timeout over a day', argv: ['serve', '--idle-timeout', '86400001'], error: '--idle-timeout must be a whole number of milliseconds from 1 to 86400000, got "86400001"' },
  { name: 'missing idle timeout value', argv: ['serve', '--idle-timeout'], error: '--idle-timeout needs a value' },
  { name: 'head timeout twice', argv: ['serve', '--head-timeout', '1', '--head-timeout=2'], error: '--head-timeout is given more than once' },
  { name: 'ui with a value', argv: ['serve', '--ui=yes'], error: '--ui takes no value' },
  { name: 'ui port without ui', argv: ['serve', '--ui-port', '1'], error: '--ui-port is for the browser inspector; add --ui' },
  { name: 'ui host without ui', argv: ['serve', '--ui-host', '::1'], error: '--ui-host is for the browser inspector; add --ui' },
  { name: 'ui port too large', argv: ['serve', '--ui', '--ui-port', '65536'], error: '--ui-port must be a whole number from 0 to 65535, got "65536"' },
  { name: 'ui feed rate without ui', argv: ['serve', '--ui-feed-rate', '512'], error: '--ui-feed-rate is for the browser inspector; add --ui' },
  {
    name: 'ui feed rate too large', argv: ['serve', '--ui', '--ui-feed-rate', '1048577'],
    error: '--ui-feed-rate must be a whole number of KiB a second from 0 to 1048576, got "1048577"',
  },
  {
    name: 'ui feed rate not a number', argv: ['serve', '--ui', '--ui-feed-rate', '2M'],
    error: '--ui-feed-rate must be a whole number of KiB a second from 0 to 1048576, got "2M"',
  },
  { name: 'ui port twice', argv: ['serve', '--ui', '--ui-port', '1', '--ui-port', '2'], error: '--ui-port is given more than once' },
  {
    name: 'ui host that is a name', argv: ['serve', '--ui', '--ui-host', 'localhost'],
    error: '--ui-host must be an IP address such as 127.0.0.1 or ::1 (names are not resolved), got "localhost"',
  },
  { name: 'empty ui host', argv: ['serve', '--ui', '--ui-host='], error: '--ui-host must be an IP address such as 127.0.0.1 or ::1 (names are not resolved), got ""' },
  {
    name: 'ui host wildcard IPv4', argv: ['serve', '--ui', '--ui-host', '0.0.0.0'],
    error: '--ui-host must be one address, not the wildcard 0.0.0.0: the inspector accepts only requests addressed to the address it listens on',
  },
  {
    name: 'ui host wildcard IPv6', argv: ['serve', '--ui', '--ui-host', '::'],
    error: '--ui-host must be one address, not the wildcard ::: the inspector accepts only requests addressed to the address it listens on',
  },
  { name: 'max connections 0', argv: ['serve', '--max-connections', '0'], error: '--max-connections must be a whole number from 1 to 1000000, got "0"' },
  { name: 'max connections too large', argv: ['serve', '--max-connections', '1000001'], error: '--max-connections must be a whole number from 1 to 1000000, got "1000001"' },
  { name: 'max connections with a sign', argv: ['serve', '--max-connections', '+5'], error: '--max-connections must be a whole number from 1 to 1000000, got "+5"' },
];

for (const { name, argv, error } of INVALID) {
  test(`args error: ${name}`, () => {
    assert.deepEqual(parseArgs(argv), { ok: false, error });
  });
}

test('args: parseHeaderArgument without a colon is null', () => {
  assert.equal(parseHeaderArgument('nothing'), null);
  assert.deepEqual(parseHeaderArgument(':'), ['', '']);
});

test('args: parseArgs never throws on odd input', () => {
  for (const argv of [['serve', '--'], ['serve', '-'], ['serve', '--='], ['serve', '--=x'], ['', ''], ['serve', '\u0000']]) {
    const result = parseArgs(argv);
    assert.equal(result.ok, false, JSON.stringify(argv));
  }
});
