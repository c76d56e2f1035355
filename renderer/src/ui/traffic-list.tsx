/**
 * The virtualized traffic list: fixed-height rows, only the rows in view (plus
 * OVERSCAN_ROWS) are in the DOM, positioned with a transform inside a spacer
 * as tall as the whole list. Newest at the bottom; while scrolled to the
 * bottom the list follows new requests, otherwise it stays put and offers a
 * "N new" button.
 */
import { memo, useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { TrafficFeed } from '../model/traffic-feed';
import { connectionLabel, formatBytes, formatClock } from '../model/format';
import { useElementHeight } from './use-element-height';

/** Must match .traffic-row height in app.css. */
export const ROW_HEIGHT = 26;
/** Rows rendered above and below the visible ones, so fast scrolling does not show gaps. */
const OVERSCAN_ROWS = 12;
/**
 * While following, the window is replaced on every update at high rates and
 * nobody is scrolling: a few rows above are enough for the first wheel turn
 * (the next frame renders the full overscan), and each row fewer is less
 * text to lay out and paint per update.
 */
const FOLLOW_OVERSCAN_ROWS = 3;
/** Scrolled this close to the end counts as "at the newest". */
const FOLLOW_SLACK_PX = ROW_HEIGHT / 2;

/** What the rest of the page may ask of the list. */
export interface ListHandle {
  /** Rows that fit in the viewport (for Page Up/Down). */
  pageRows(): number;
  /** Jump to the newest row and follow from now on. */
  follow(): void;
}

interface Props {
  feed: TrafficFeed;
  /** Changes whenever the feed's view changes. */
  version: number;
  /** Store position of the selected record (see app.tsx: positions, not engine ids, identify rows). */
  selected: number | null;
  onSelect(position: number): void;
  handle: RefObject<ListHandle | null>;
}

interface RowProps {
  feed: TrafficFeed;
  /** The record's id: with position it identifies the content (positions are reused after a clear). */
  id: number;
  position: number;
  row: number;
  selected: boolean;
  onSelect(position: number): void;
}

function connectionTitle(connectionId: number, requestOnConnection: number): string {
  return `connection #${connectionId}, request ${requestOnConnection} on it`;
}

/** One row; its content never changes for a position (records are immutable), so memo skips most re-renders. */
const TrafficRow = memo(function TrafficRow({ feed, id, position, row, selected, onSelect }: RowProps) {
  const s = feed.store;
  const error = s.error(position);
  const status = s.status(position);
  const method = s.method(position);
  const target = s.target(position);
  const conn = s.connectionId(position);
  const nth = s.requestOnConnection(position);
  const statusClass = status === null ? 'status-none' : `status-${Math.floor(status / 100)}xx`;
  return (
    <div
      role="row"
      className={`traffic-row${selected ? ' selected' : ''}${error ? ' malformed' : ''}${row % 2 ? ' odd' : ''}`}
      data-testid="traffic-row"
      data-id={id}
      data-error={error ?? undefined}
      aria-selected={selected}
      aria-rowindex={row + 2}
      style={{ transform: `translateY(${row * ROW_HEIGHT}px)` }}
      onClick={() => onSelect(position)}
      title={error ? `Malformed request: ${error}` : undefined}
    >
      <span role="gridcell" className="cell time">{formatClock(s.time(position))}</span>
      <span role="gridcell" className="cell method" data-testid="row-method">{method}</span>
      <span role="gridcell" className="cell target">
        {error && <span className="error-badge">{error}</span>}
        <span data-testid="row-target" className={target ? undefined : 'placeholder'}>{target}</span>
      </span>
      <span role="gridcell" className={`cell status ${statusClass}`} data-testid="row-status">{status ?? '—'}</span>
      <span role="gridcell" className="cell size">{formatBytes(s.bodyLength(position))}</span>
      <span role="gridcell" className="cell peer">{s.peer(position)}</span>
      <span role="gridcell" className="cell conn" title={connectionTitle(conn, nth)}>{connectionLabel(conn, nth)}</span>
    </div>
  );
});

export function TrafficList({ feed, version, selected, onSelect, handle }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = useElementHeight(scroller, 600);
  const [following, setFollowing] = useState(true);
  /** Rows in the view when the user left the bottom, to count what arrived since. */
  const [rowsWhenLeft, setRowsWhenLeft] = useState(0);
  /** The scrollTop this component last set itself: a smaller one means the user scrolled up. */
  const pinnedTop = useRef(0);

  const view = feed.view;
  const rows = view.length;
  const total = rows * ROW_HEIGHT;
  // While following, draw the bottom rows now rather than one frame late.
  const top = following ? Math.max(0, total - viewport) : Math.min(scrollTop, Math.max(0, total - viewport));
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - (following ? FOLLOW_OVERSCAN_ROWS : OVERSCAN_ROWS));
  const last = Math.min(rows, Math.ceil((top + viewport) / ROW_HEIGHT) + OVERSCAN_ROWS);
  const selectedRow = selected === null ? -1 : view.rowOf(selected);

  // Keep the newest row in view while following (after every change of the view).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || !following) return;
    // The viewport height from state, not el.clientHeight: reading layout here would force it a second time.
    const bottom = Math.max(0, total - viewport);
    if (pinnedTop.current !== bottom) el.scrollTop = bottom;
    pinnedTop.current = bottom;
  }, [following, total, viewport, version]);

  // Bring a newly selected row into view (keyboard selection can move past the edges).
  useEffect(() => {
    const el = scroller.current;
    if (!el || selectedRow < 0) return;
    const rowTop = selectedRow * ROW_HEIGHT;
    if (rowTop < el.scrollTop) {
      el.scrollTop = rowTop;
      setScrollTop(rowTop);
      setFollowing(false);
      setRowsWhenLeft(view.length);
    } else if (rowTop + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = rowTop + ROW_HEIGHT - el.clientHeight;
    }
    // Only a change of selection moves the list; new rows arriving must not (so the deps are the selection only).
  }, [selected]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    // The list pinning itself to the bottom: while following, the rows come from the view's length, not from
    // scrollTop, so this needs no render (at thousands of requests per second it would be one per update).
    if (following && Math.abs(el.scrollTop - pinnedTop.current) <= 1) return;
    setScrollTop(el.scrollTop);
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - FOLLOW_SLACK_PX;
    if (atBottom) {
      if (!following) setFollowing(true);
    } else if (following && el.scrollTop < pinnedTop.current - 1) {
      setFollowing(false);
      setRowsWhenLeft(rows);
    }
  };

  const follow = (): void => {
    setFollowing(true);
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };
  handle.current = { pageRows: () => Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1), follow };

  const newRows = following ? 0 : Math.max(0, rows - rowsWhenLeft);
  const rendered = [];
  // Rows are keyed by slot (row modulo the window size), not by record: a row scrolling out hands its DOM
  // nodes to the row scrolling in. While following at thousands of requests per second the whole window
  // changes every frame, and updating text is much cheaper than removing and creating elements.
  const slots = Math.max(1, last - first);
  for (let r = first; r < last; r++) {
    const position = view.at(r);
    const id = feed.store.id(position);
    rendered.push(
      <TrafficRow key={r % slots} feed={feed} id={id} position={position} row={r} selected={r === selectedRow} onSelect={onSelect} />,
    );
  }

  return (
    <div className="traffic-list-wrap">
      <div className="traffic-header" role="presentation">
        <span className="cell time">Time</span>
        <span className="cell method">Method</span>
        <span className="cell target">Target</span>
        <span className="cell status">Status</span>
        <span className="cell size">Body</span>
        <span className="cell peer">Peer</span>
        <span className="cell conn">Conn</span>
      </div>
      <div
        ref={scroller}
        className="traffic-list"
        data-testid="traffic-list"
        role="grid"
        aria-label="Captured requests"
        aria-rowcount={rows + 1}
        tabIndex={0}
        onScroll={onScroll}
        onWheel={(e) => {
          // A wheel turn upwards is always the user's: stop following at once, before the next frame pins the bottom.
          if (e.deltaY < 0 && following && rows * ROW_HEIGHT > viewport) {
            // scrollTop state is not kept while following (see onScroll): take it now.
            setScrollTop(e.currentTarget.scrollTop);
            setFollowing(false);
            setRowsWhenLeft(rows);
          }
        }}
      >
        <div className="traffic-spacer" style={{ height: total }}>
          {rendered}
        </div>
        {rows === 0 && <EmptyList feed={feed} />}
      </div>
      {newRows > 0 && (
        <button type="button" className="new-requests" data-testid="new-requests-button" onClick={follow}>
          {newRows} new ↓
        </button>
      )}
    </div>
  );
}

function EmptyList({ feed }: { feed: TrafficFeed }) {
  if (feed.store.length > 0) {
    return <div className="list-empty">{feed.view.complete ? 'No request matches the filter.' : 'Filtering…'}</div>;
  }
  return <div className="list-empty">Waiting for requests… Send one to the address above.</div>;
}
