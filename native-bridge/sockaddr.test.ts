import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSockaddr, encodeSockaddr, formatIPv6, parseIPv4, parseIPv6 } from './sockaddr';
import { EPOLL_EVENT_SIZE, EPOLL_EVENT_DATA_OFFSET, epollEventFd, epollEventMask, writeEpollEvent } from './epoll-event';

const ipv6Cases: { name: string; text: string; canonical: string | null }[] = [
  { name: 'loopback', text: '::1', canonical: '::1' },
  { name: 'unspecified', text: '::', canonical: '::' },
  { name: 'full form compresses the longest zero run', text: '2001:db8:0:0:1:0:0:1', canonical: '2001:db8::1:0:0:1' },
  { name: 'uppercase hex is lowered', text: '2001:DB8::A', canonical: '2001:db8::a' },
  { name: 'brackets are accepted', text: '[::1]', canonical: '::1' },
  { name: 'IPv4-mapped', text: '::ffff:127.0.0.1', canonical: '::ffff:127.0.0.1' },
  { name: 'single zero group is not compressed', text: '1:0:2:3:4:5:6:7', canonical: '1:0:2:3:4:5:6:7' },
  { name: 'two double colons', text: '1::2::3', canonical: null },
  { name: 'too many groups', text: '1:2:3:4:5:6:7:8:9', canonical: null },
  { name: 'group too long', text: '12345::', canonical: null },
  { name: 'zone id', text: 'fe80::1%eth0', canonical: null },
  { name: 'not an address', text: 'example.com', canonical: null },
];

for (const c of ipv6Cases) {
  test(`parseIPv6/formatIPv6: ${c.name}`, () => {
    const bytes = parseIPv6(c.text);
    if (c.canonical === null) assert.equal(bytes, null);
    else {
      assert.ok(bytes);
      assert.equal(bytes.length, 16);
      assert.equal(formatIPv6(bytes), c.canonical);
    }
  });
}

const ipv4Cases: { text: string; ok: boolean }[] = [
  { text: '127.0.0.1', ok: true }, { text: '0.0.0.0', ok: true }, { text: '255.255.255.255', ok: true },
  { text: '256.0.0.1', ok: false }, { text: '1.2.3', ok: false }, { text: '01.2.3.4', ok: false }, { text: '1.2.3.4 ', ok: false },
];
for (const c of ipv4Cases) {
  test(`parseIPv4: "${c.text}" ${c.ok ? 'accepted' : 'refused'}`, () => {
    assert.equal(parseIPv4(c.text) !== null, c.ok);
  });
}

test('encodeSockaddr/decodeSockaddr round-trip IPv4 with port in network order', () => {
  const { buffer } = encodeSockaddr('127.0.0.1', 8080);
  assert.equal(buffer.length, 16);
  assert.deepEqual([...buffer.subarray(2, 4)], [0x1f, 0x90]);
  assert.deepEqual(decodeSockaddr(buffer), { family: 'IPv4', address: '127.0.0.1', port: 8080 });
});

test('encodeSockaddr/decodeSockaddr round-trip IPv6', () => {
  const { buffer } = encodeSockaddr('::1', 443);
  assert.equal(buffer.length, 28);
  assert.deepEqual(decodeSockaddr(buffer), { family: 'IPv6', address: '::1', port: 443 });
});

test('encodeSockaddr refuses names and bad ports with a message', () => {
  assert.throws(() => encodeSockaddr('example.com', 80), /host must be an IPv4 or IPv6 address/);
  assert.throws(() => encodeSockaddr('127.0.0.1', 70000), /port must be a whole number from 0 to 65535/);
  assert.throws(() => encodeSockaddr('127.0.0.1', 1.5), /port must be a whole number/);
});

test('epoll_event layout matches the architecture', () => {
  assert.equal(EPOLL_EVENT_SIZE, process.arch === 'x64' ? 12 : 16);
  const buf = Buffer.alloc(EPOLL_EVENT_SIZE * 2);
  writeEpollEvent(buf, 1, 0x2005, 42);
  assert.equal(epollEventMask(buf, 1), 0x2005);
  assert.equal(epollEventFd(buf, 1), 42);
  assert.equal(buf.readInt32LE(EPOLL_EVENT_SIZE + EPOLL_EVENT_DATA_OFFSET), 42);
  assert.equal(epollEventMask(buf, 0), 0);
});
