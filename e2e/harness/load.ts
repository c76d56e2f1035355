/**
 * Many requests from a few keep-alive connections, bounded in count and time:
 * a pipelined burst (for the 20,000-request spec) and a paced stream (for the
 * UI load bench). Every connection is closed before these return.
 */
import { HttpConnection } from './http-client';

/** Refuse absurd loads: these run on a shared 2-core machine. */
const MAX_REQUESTS = 1_000_000;
const MAX_CONNECTIONS = 64;
/** A pipelined round must be answered within this time. */
const ROUND_TIMEOUT_MS = 30_000;
/** After pacing ends, outstanding responses must arrive within this time. */
const DRAIN_TIMEOUT_MS = 30_000;
/** The paced sender wakes this often and sends what the schedule says is due. */
const PACE_TICK_MS = 5;

export interface LoadResult {
  sent: number;
  responses: number;
  statusCounts: Map<number, number>;
  elapsedMs: number;
}

/** Request i as bytes; the default is a small GET whose target carries i. */
export type RequestMaker = (i: number) => string;
export const defaultRequest: RequestMaker = (i) => `GET /load/${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

function checkBounds(total: number, connections: number): void {
  if (!Number.isInteger(total) || total < 1 || total > MAX_REQUESTS) throw new RangeError(`total must be 1..${MAX_REQUESTS}`);
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) throw new RangeError(`connections must be 1..${MAX_CONNECTIONS}`);
}

function merge(connections: HttpConnection[], sent: number, started: number): LoadResult {
  const statusCounts = new Map<number, number>();
  let responses = 0;
  for (const c of connections) {
    responses += c.reader.count;
    for (const [status, n] of c.reader.statusCounts) statusCounts.set(status, (statusCounts.get(status) ?? 0) + n);
  }
  return { sent, responses, statusCounts, elapsedMs: Date.now() - started };
}

/**
 * Send `total` requests as fast as the server answers: each connection writes
 * `depth` requests back to back, waits for their answers, and repeats.
 */
export async function sendBurst(port: number, options: { total: number; connections: number; depth: number; request?: RequestMaker }): Promise<LoadResult> {
  const { total, connections, depth } = options;
  checkBounds(total, connections);
  const make = options.request ?? defaultRequest;
  const started = Date.now();
  const conns = await Promise.all(Array.from({ length: connections }, () => HttpConnection.open(port, { keep: false })));
  let sent = 0;
  try {
    await Promise.all(conns.map(async (conn, c) => {
      // Connection c sends requests c, c + connections, c + 2·connections, …
      const mine = Math.floor(total / connections) + (c < total % connections ? 1 : 0);
      let done = 0;
      while (done < mine) {
        const n = Math.min(depth, mine - done);
        let batch = '';
        for (let k = 0; k < n; k++) batch += make(c + (done + k) * connections);
        await conn.write(batch);
        sent += n;
        done += n;
        await conn.responses(done, ROUND_TIMEOUT_MS);
      }
    }));
    return merge(conns, sent, started);
  } finally {
    for (const c of conns) c.close();
  }
}

export interface PacedOptions {
  rate: number;
  seconds: number;
  connections: number;
  maxOutstanding: number;
  request?: RequestMaker;
  onTick?: (sent: number) => void;
}

/** The options checked, with the request count and maker they imply. */
function pacing(options: PacedOptions): PacedOptions & { total: number; make: RequestMaker } {
  const total = Math.round(options.rate * options.seconds);
  checkBounds(total, options.connections);
  return { ...options, total, make: options.request ?? defaultRequest };
}

export interface PacedResult extends LoadResult {
  /** Requests the schedule wanted sent but that waited because every connection had too many outstanding. */
  deferredMax: number;
}

/**
 * Send `rate` requests per second for `seconds`, spread over keep-alive
 * connections. A connection with `maxOutstanding` unanswered requests is
 * skipped; what could not go out on time goes out as soon as it can.
 */
export async function sendPaced(port: number, options: PacedOptions): Promise<PacedResult> {
  const { rate, connections, maxOutstanding, total, make } = pacing(options);
  const conns = await Promise.all(Array.from({ length: connections }, () => HttpConnection.open(port, { keep: false })));
  const sentOn = new Array<number>(connections).fill(0);
  const started = Date.now();
  let sent = 0;
  let deferredMax = 0;
  let next = 0;
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      // Round-robin the due requests over connections that have room.
      let progress = true;
      while (sent < due && progress) {
        progress = false;
        for (let k = 0; k < connections && sent < due; k++) {
          const c = (next + k) % connections;
          const conn = conns[c]!;
          if (conn.closed) throw new Error(`connection ${c} closed by the server after ${conn.reader.count} responses`);
          const room = maxOutstanding - (sentOn[c]! - conn.reader.count);
          const share = Math.min(room, Math.ceil((due - sent) / (connections - k)));
          if (share <= 0) continue;
          let batch = '';
          for (let j = 0; j < share; j++) batch += make(sent + j);
          conn.socket.write(batch);
          sentOn[c]! += share;
          sent += share;
          progress = true;
        }
        next = (next + 1) % connections;
      }
      deferredMax = Math.max(deferredMax, due - sent);
      options.onTick?.(sent);
      await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));
    }
    await Promise.all(conns.map((conn, c) => conn.responses(sentOn[c]!, DRAIN_TIMEOUT_MS)));
    return { ...merge(conns, sent, started), deferredMax };
  } finally {
    for (const c of conns) c.close();
  }
}

/** A dropped connection is reopened after this pause while its server is down. */
const RECONNECT_PAUSE_MS = 20;
/** Connect attempts give up after this long each. */
const RECONNECT_TIMEOUT_MS = 1_000;
/** The whole paced run may overrun its schedule by this much (the server may be down meanwhile). */
const THROUGH_FAULTS_SLACK_MS = 30_000;

export interface FaultTolerantResult extends LoadResult {
  /** Connections the server dropped (an engine that died takes every connection with it). */
  dropped: number;
  /** Requests sent on a dropped connection that were never answered. */
  unanswered: number;
}

interface Slot {
  conn: HttpConnection | null;
  /** Requests written on `conn` (a new connection starts from 0). */
  sent: number;
}

/**
 * Like sendPaced, for a server that may die and come back meanwhile: a
 * dropped connection is counted (with its unanswered requests) and reopened
 * every RECONNECT_PAUSE_MS until the server accepts again. Requests due while
 * no connection is open go out once one is. Bounded: the run fails after its
 * schedule plus THROUGH_FAULTS_SLACK_MS.
 */
export async function sendPacedThroughFaults(port: number, options: PacedOptions): Promise<FaultTolerantResult> {
  const { rate, seconds, connections, maxOutstanding, total, make } = pacing(options);
  const started = Date.now();
  const deadline = started + seconds * 1000 + THROUGH_FAULTS_SLACK_MS;
  const slots: Slot[] = Array.from({ length: connections }, () => ({ conn: null, sent: 0 }));
  const finished: HttpConnection[] = [];
  let dropped = 0;
  let unanswered = 0;
  let sent = 0;
  let stopped = false;

  const reopen = (slot: Slot): void => {
    void (async () => {
      while (!stopped && Date.now() < deadline) {
        try {
          const conn = await HttpConnection.open(port, { keep: false, timeoutMs: RECONNECT_TIMEOUT_MS });
          if (stopped) {
            conn.close();
          } else {
            slot.sent = 0;
            slot.conn = conn;
          }
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
        }
      }
    })();
  };
  /** A connection the server closed: keep its counts, open another. */
  const retire = (slot: Slot): void => {
    const conn = slot.conn!;
    dropped++;
    unanswered += slot.sent - conn.reader.count;
    finished.push(conn);
    slot.conn = null;
    reopen(slot);
  };

  for (const slot of slots) reopen(slot);
  try {
    while (sent < total) {
      if (Date.now() > deadline) throw new Error(`sent ${sent} of ${total} requests before the time bound`);
      for (const slot of slots) if (slot.conn?.closed) retire(slot);
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
      for (let k = 0; k < connections && sent < due; k++) {
        const slot = slots[k]!;
        if (!slot.conn) continue;
        const share = Math.min(maxOutstanding - (slot.sent - slot.conn.reader.count), Math.ceil((due - sent) / (connections - k)));
        if (share <= 0) continue;
        let batch = '';
        for (let j = 0; j < share; j++) batch += make(sent + j);
        slot.conn.socket.write(batch);
        slot.sent += share;
        sent += share;
      }
      options.onTick?.(sent);
      await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));
    }
    // Drain what is outstanding; a connection dropped now just counts its unanswered requests.
    await Promise.all(slots.map(async (slot) => {
      if (!slot.conn) return;
      try {
        await slot.conn.responses(slot.sent, DRAIN_TIMEOUT_MS);
      } catch {
        if (!slot.conn.closed) throw new Error(`responses did not arrive within ${DRAIN_TIMEOUT_MS} ms`);
      }
    }));
    for (const slot of slots) {
      if (!slot.conn) continue;
      if (slot.conn.closed) {
        dropped++;
        unanswered += slot.sent - slot.conn.reader.count;
      }
      finished.push(slot.conn);
      slot.conn = null;
    }
    return { ...merge(finished, sent, started), dropped, unanswered };
  } finally {
    stopped = true;
    for (const slot of slots) slot.conn?.close();
    for (const conn of finished) conn.close();
  }
}
