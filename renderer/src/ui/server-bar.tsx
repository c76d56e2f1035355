/**
 * The server bar: where the engine listens (click the URL to copy it), the
 * address fields with Apply, the engine's state, and the live count and rate.
 * In browser mode a small badge says so (there is no native menu there).
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { EngineStatus, InspectorApi, InspectorMode } from '../../../common/inspector-api';
import type { FieldError } from '../../../common/canned-response';
import type { TrafficFeed } from '../model/traffic-feed';
import { parseListenDraft } from '../model/listen-draft';
import { formatCount } from '../model/format';

/** How often the rate and a restart countdown are redrawn when nothing else changes. */
const TICK_MS = 500;

interface Props {
  api: InspectorApi;
  /** 'browser' shows the mode badge; desktop shows nothing. */
  mode: InspectorMode;
  status: EngineStatus;
  /** When the current status arrived (performance.now()), for the restart countdown. */
  statusAt: number;
  url: string;
  feed: TrafficFeed;
  onCopyUrl(): void;
}

function useTick(ms: number): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The status line: always starts with the state word (the e2e contract), then the detail. */
export function statusText(status: EngineStatus, secondsLeft: number): string {
  switch (status.state) {
    case 'listening': return 'listening';
    case 'starting': return 'starting…';
    case 'error': return `error${status.code ? ` ${status.code}` : ''}: ${status.message}`;
    case 'crashed':
      return `crashed: ${status.message} — restarting${secondsLeft > 0 ? ` in ${secondsLeft} s` : '…'} (attempt ${status.attempt})`;
  }
}

/** Records the server holds back from this page (browser mode; nothing once it has caught up). */
export function BacklogCounter({ records }: { records: number }) {
  if (records <= 0) return null;
  return (
    <span
      className="counter backlog" data-testid="request-backlog"
      title="Captured and not yet sent to this page: while traffic floods in, the page is fed at a reduced rate so that capture keeps its speed; it catches up when the traffic slows"
    >
      +{formatCount(records)} to come
    </span>
  );
}

export function ServerBar({ api, mode, status, statusAt, url, feed, onCopyUrl }: Props) {
  const now = useTick(TICK_MS);
  const [host, setHost] = useState(status.listen.host);
  const [port, setPort] = useState(String(status.listen.port));
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);

  // Follow the engine's address until the user starts typing their own.
  useEffect(() => {
    if (dirty) return;
    setHost(status.listen.host);
    setPort(String(status.listen.port));
  }, [status.listen.host, status.listen.port, dirty]);

  const edit = (h: string, p: string): void => {
    setHost(h);
    setPort(p);
    setDirty(true);
    // Show problems as they are typed, but only ones about what is in the fields now.
    const check = parseListenDraft(h, p);
    setErrors(check.ok ? [] : check.errors);
  };

  const apply = (e?: FormEvent): void => {
    e?.preventDefault();
    const check = parseListenDraft(host, port);
    if (!check.ok) {
      setErrors(check.errors);
      return;
    }
    setErrors([]);
    setBusy(true);
    api.setListen(check.value).then((result) => {
      setBusy(false);
      if (result.ok) setDirty(false);
      else setErrors(result.errors);
    }, (err: unknown) => {
      setBusy(false);
      setErrors([{ field: 'listen', message: `could not apply: ${err instanceof Error ? err.message : String(err)}` }]);
    });
  };

  const secondsLeft = status.state === 'crashed' ? Math.max(0, Math.ceil((statusAt + status.restartInMs - now) / 1000)) : 0;
  const rate = feed.rate.rate(now);
  const hostError = errors.some((e) => e.field === 'listen.host');
  const portError = errors.some((e) => e.field === 'listen.port');

  return (
    <header className="server-bar">
      <div className="brand" aria-hidden="true">Sockeye</div>
      {mode === 'browser' && (
        <span
          className="mode-badge" data-testid="app-mode"
          title="Running in a web browser through sockeye serve --ui: no app menu; its shortcuts work in the page"
        >
          browser
        </span>
      )}
      <button type="button" className="server-url" data-testid="server-url" onClick={onCopyUrl} title="Copy the address">
        {url}
      </button>
      <span className={`server-status state-${status.state}`} data-testid="server-status" role="status" title={statusText(status, secondsLeft)}>
        {statusText(status, secondsLeft)}
      </span>
      <form className="listen-form" onSubmit={apply} aria-label="Listen address">
        <label>
          <span className="label">Host</span>
          <input
            data-testid="listen-host" value={host} size={14} spellCheck={false} aria-invalid={hostError}
            onChange={(e) => edit(e.target.value, port)}
          />
        </label>
        <label>
          <span className="label">Port</span>
          <input
            data-testid="listen-port" value={port} size={6} inputMode="numeric" aria-invalid={portError}
            onChange={(e) => edit(host, e.target.value)}
          />
        </label>
        <button type="submit" data-testid="listen-apply" disabled={busy} title="Restart the server on this address">
          {dirty ? 'Apply' : 'Restart'}
        </button>
        {errors.length > 0 && (
          <span className="listen-error" data-testid="listen-error" role="alert">
            {errors.map((e) => e.message).join('; ')}
          </span>
        )}
      </form>
      <div className="counters">
        <span className="counter">
          <span className="count" data-testid="request-count">{feed.store.length}</span> requests
        </span>
        {/* Redrawn with the rest of the bar, at least every TICK_MS: it counts down as records arrive. */}
        <BacklogCounter records={feed.toCome} />
        <span className="counter" data-testid="request-rate">{rate < 10 ? rate.toFixed(1) : Math.round(rate)} req/s</span>
      </div>
    </header>
  );
}
