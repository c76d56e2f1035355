/**
 * Large bodies (issue 4): a 2 GiB request body with Content-Length, then the
 * same as chunked, read to the end while the engine's RSS (VmRSS from
 * /proc/<pid>/status) is sampled; the record keeps the capture prefix
 * (default 1 MiB) and the full length.
 *
 *   npx tsc -b bench && node build/bench/hostile-large-body.js
 *   LARGE_BODY_MIB=2048 node build/bench/hostile-large-body.js
 */
import type { Socket } from 'node:net';
import { DEFAULT_CAPTURE_BODY_BYTES } from '../server/engine-defaults';
import { BenchEngine, mib, openSocket, sleep } from './hostile-engine';

const MIB = 1024 * 1024;
const BODY_MIB = Number(process.env.LARGE_BODY_MIB) > 0 ? Number(process.env.LARGE_BODY_MIB) : 2048;
const BODY_BYTES = BODY_MIB * MIB;
const PIECE = Buffer.alloc(MIB, 0x61);
const SAMPLE_MS = 50;
/** A body must be through within this long (about 50 MB/s), or the run fails. */
const MAX_SECONDS = Math.max(60, BODY_MIB / 50);

/** Write `count` pieces with backpressure. */
async function pump(s: Socket, count: number, piece: Buffer): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (!s.write(piece)) await new Promise((r) => s.once('drain', r));
  }
}

async function send(e: BenchEngine, chunked: boolean): Promise<{ seconds: number; start: number; peak: number; end: number; ok: boolean }> {
  const s = await openSocket(e.port);
  const answered = new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); if (got.includes('\r\n\r\n')) resolve(got); });
  });
  const start = e.usage().rssKiB;
  let peak = start;
  const sampler = setInterval(() => { peak = Math.max(peak, e.usage().rssKiB); }, SAMPLE_MS);
  const t0 = performance.now();
  const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${BODY_BYTES}`;
  s.write(`POST /large HTTP/1.1\r\nHost: a\r\n${framing}\r\n\r\n`);
  if (chunked) {
    // RFC 9112 §7.1: size line, data, CRLF per chunk; here one MiB each, then the last chunk.
    const chunk = Buffer.concat([Buffer.from(`${MIB.toString(16)}\r\n`), PIECE, Buffer.from('\r\n')]);
    await pump(s, BODY_MIB, chunk);
    s.write('0\r\n\r\n');
  } else {
    await pump(s, BODY_MIB, PIECE);
  }
  const timeout = sleep(MAX_SECONDS * 1000).then(() => 'timeout');
  const answer = await Promise.race([answered, timeout]);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  s.destroy();
  await e.drained();
  const end = e.usage().rssKiB;
  return { seconds, start, peak: Math.max(peak, end), end, ok: answer.startsWith('HTTP/1.1 200') };
}

async function main(): Promise<number> {
  const e = await BenchEngine.start({ keepRecords: true });
  let ok = true;
  try {
    console.log(`hostile-large-body: ${BODY_MIB} MiB bodies; capture prefix ${DEFAULT_CAPTURE_BODY_BYTES} bytes`);
    for (const chunked of [false, true]) {
      const r = await send(e, chunked);
      const rec = e.kept[e.kept.length - 1];
      const right = r.ok && rec !== undefined && rec.bodyLength === BODY_BYTES && rec.body.length === DEFAULT_CAPTURE_BODY_BYTES && rec.bodyTruncated;
      ok = ok && right;
      console.log(`  ${chunked ? 'chunked       ' : 'Content-Length'}: ${r.seconds.toFixed(1)} s (${(BODY_MIB / r.seconds).toFixed(0)} MiB/s); RSS start ${mib(r.start)}, peak ${mib(r.peak)}, end ${mib(r.end)} (peak - start ${mib(r.peak - r.start)}); record bodyLength ${rec?.bodyLength}, kept ${rec?.body.length}, rawLength ${rec?.rawLength}: ${right ? 'ok' : 'WRONG'}`);
    }
    return ok ? 0 : 1;
  } finally {
    await e.stop();
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
