/**
 * A hex dump (offset | hex | text) of any size: lines have a fixed height and
 * only those in view (plus overscan) are built, so a 1 MiB capture (65,536
 * lines) opens at once. Small dumps are rendered whole, so their text column
 * holds every byte (find-in-page and copying work on them).
 */
import { useRef, useState } from 'react';
import { hexLine, lineCount } from '../model/hex-dump';
import { useElementHeight } from './use-element-height';

/** Must match .hex-line height in app.css. */
const LINE_HEIGHT = 18;
const OVERSCAN_LINES = 20;
/** Dumps up to this many lines (8 KiB) are rendered whole. */
const RENDER_ALL_LINES = 512;

/**
 * A line of the text column. CR and LF stay in the text (copying keeps the
 * lines) but are drawn as a one-character mark, so every line stays one line.
 */
function TextLine({ text }: { text: string }) {
  if (!/[\r\n]/.test(text)) return <div className="hex-line">{text}</div>;
  const parts = text.split(/([\r\n])/);
  return (
    <div className="hex-line">
      {parts.map((p, i) => (p === '\r' || p === '\n'
        ? <span key={i} className={p === '\r' ? 'ctl cr' : 'ctl lf'}>{p}</span>
        : p))}
    </div>
  );
}

interface Props {
  bytes: Uint8Array;
  /** data-testid of the hex and text columns (the raw tab's contract), if any. */
  hexTestId?: string;
  textTestId?: string;
}

export function HexView({ bytes, hexTestId, textTestId }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const viewport = useElementHeight(scroller, 400);
  const lines = lineCount(bytes.length);

  const all = lines <= RENDER_ALL_LINES;
  const first = all ? 0 : Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN_LINES);
  const last = all ? lines : Math.min(lines, Math.ceil((scrollTop + viewport) / LINE_HEIGHT) + OVERSCAN_LINES);
  const offsets: string[] = [];
  const hex: string[] = [];
  const text: string[] = [];
  for (let l = first; l < last; l++) {
    const line = hexLine(bytes, l);
    offsets.push(line.offset);
    hex.push(line.hex);
    text.push(line.ascii);
  }

  if (bytes.length === 0) return <div className="hex-empty">No bytes.</div>;
  return (
    <div ref={scroller} className="hex-view" tabIndex={0} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div className="hex-spacer" style={{ height: lines * LINE_HEIGHT }}>
        <div className="hex-window" style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
          <div className="hex-col hex-offsets" aria-hidden="true">
            {offsets.map((o, i) => <div key={first + i} className="hex-line">{o}</div>)}
          </div>
          <div className="hex-col hex-bytes" data-testid={hexTestId}>
            {hex.map((h, i) => <div key={first + i} className="hex-line">{h}</div>)}
          </div>
          <div className="hex-col hex-text" data-testid={textTestId}>
            {text.map((t, i) => <TextLine key={first + i} text={t} />)}
          </div>
        </div>
      </div>
    </div>
  );
}
