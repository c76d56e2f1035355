/**
 * The inspector: wires the InspectorApi to the feed and lays out the server
 * bar, the traffic list with its filter, the details and the response editor.
 * Actions come from three places and do the same thing: in-app buttons (both
 * modes), the shell's menu (onAction) and in-page shortcuts. In browser mode
 * there is no menu, so the page also handles the menu's own shortcuts
 * (browser-shortcuts.ts); on desktop it leaves them to the menu.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { EngineStatus, InspectorAction, InspectorApi, InspectorInit } from '../../../common/inspector-api';
import { TrafficFeed } from '../model/traffic-feed';
import { buildCurl } from '../model/curl';
import { listenUrl } from '../model/listen-draft';
import { pageClock } from './page-clock';
import { ServerBar } from './server-bar';
import { TrafficList, type ListHandle } from './traffic-list';
import { Details } from './details';
import { ResponseEditor, type EditorHandle } from './response-editor';
import { ErrorScreen } from './error-screen';
import { AppNotice } from './app-notice';
import { BROWSER_SHORTCUTS, browserShortcut } from './browser-shortcuts';

/** What each browser-mode shortcut does, for the hint under the empty details. */
const SHORTCUT_WORDS: Partial<Record<InspectorAction, string>> = {
  'copy-url': 'copies the URL',
  'copy-curl': 'copies the request as cURL',
  'edit-response': 'edits the response',
};

/** How long a "Copied" note stays up. */
const TOAST_MS = 1800;

type Boot =
  | { state: 'loading' }
  | { state: 'ready'; init: InspectorInit }
  | { state: 'failed'; message: string };

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App({ api }: { api: InspectorApi }) {
  const [feed] = useState(() => new TrafficFeed(pageClock));
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const [liveStatus, setLiveStatus] = useState<{ status: EngineStatus; at: number } | null>(null);

  useEffect(() => {
    // Subscribe before init() resolves: batches sent meanwhile are not replayed.
    const offRecords = api.onRecords((batch) => feed.receive(batch));
    const offStatus = api.onStatus((status) => setLiveStatus({ status, at: performance.now() }));
    const offBacklog = api.onBacklog?.((records) => feed.noteBacklog(records));
    let alive = true;
    api.init().then(
      (init) => { if (alive) setBoot({ state: 'ready', init }); },
      (err: unknown) => { if (alive) setBoot({ state: 'failed', message: errorMessage(err) }); },
    );
    return () => {
      alive = false;
      offRecords();
      offStatus();
      offBacklog?.();
    };
  }, [api, feed]);

  if (boot.state === 'loading') return <div className="splash">Starting Sockeye…</div>;
  if (boot.state === 'failed') {
    return <ErrorScreen title="Sockeye could not start">The inspector could not load its settings: {boot.message}</ErrorScreen>;
  }
  return <Inspector api={api} feed={feed} init={boot.init} status={liveStatus?.status ?? boot.init.status} statusAt={liveStatus?.at ?? 0} />;
}

interface InspectorProps {
  api: InspectorApi;
  feed: TrafficFeed;
  init: InspectorInit;
  status: EngineStatus;
  statusAt: number;
}

/** True when keys typed at `target` are text input, not shortcuts. */
function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

function Inspector({ api, feed, init, status, statusAt }: InspectorProps) {
  const version = useSyncExternalStore(useCallback((cb) => feed.subscribe(cb), [feed]), () => feed.version);
  // The selection is a store position, not an engine record id: ids start again at 1 when the engine
  // restarts while the list keeps the earlier rows, but positions change only on clear (which unselects).
  const [selected, setSelected] = useState<number | null>(null);
  const [filter, setFilter] = useState('');
  const [toast, setToast] = useState<{ text: string; bad: boolean } | null>(null);
  const filterInput = useRef<HTMLInputElement>(null);
  const listHandle = useRef<ListHandle | null>(null);
  const editorHandle = useRef<EditorHandle | null>(null);

  const url = status.state === 'listening' ? status.url : listenUrl(status.listen);
  const position = selected ?? -1;
  const generation = feed.store.generation;
  // Decoded once per selection (the store caches the batch), not on every new batch.
  const record = useMemo(() => (position < 0 ? null : feed.store.open(position)), [feed, position, generation]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast]);

  const copy = useCallback((text: string, what: string) => {
    api.copyText(text).then(
      () => setToast({ text: `Copied ${what}`, bad: false }),
      (err: unknown) => setToast({ text: `Could not copy ${what}: ${errorMessage(err)}`, bad: true }),
    );
  }, [api]);

  const clear = useCallback(() => {
    feed.clear();
    setSelected(null);
    listHandle.current?.follow();
  }, [feed]);

  const copyCurl = useCallback(() => {
    if (record) copy(buildCurl(record).text, 'cURL command');
    else setToast({ text: 'Select a request to copy it as cURL', bad: true });
  }, [record, copy]);

  /** Move the selection through the filtered list. */
  const move = useCallback((to: 'next' | 'prev' | 'first' | 'last' | 'page-down' | 'page-up') => {
    const view = feed.view;
    const n = view.length;
    if (n === 0) return;
    const current = selected === null ? -1 : view.rowOf(selected);
    const page = listHandle.current?.pageRows() ?? 10;
    let row: number;
    if (to === 'first') row = 0;
    else if (to === 'last') row = n - 1;
    else if (current < 0) row = to === 'next' || to === 'page-down' ? 0 : n - 1;
    else {
      const delta = to === 'next' ? 1 : to === 'prev' ? -1 : to === 'page-down' ? page : -page;
      row = Math.min(n - 1, Math.max(0, current + delta));
    }
    setSelected(view.at(row));
    if (to === 'last') listHandle.current?.follow();
  }, [feed, selected]);

  /** A menu action (desktop) or its in-page shortcut (browser mode). */
  const runAction = (action: InspectorAction): void => {
    switch (action) {
      case 'clear': clear(); break;
      case 'focus-filter': filterInput.current?.focus(); filterInput.current?.select(); break;
      case 'copy-url': copy(url, 'URL'); break;
      case 'copy-curl': copyCurl(); break;
      case 'edit-response': editorHandle.current?.focus(); break;
    }
  };

  // The latest handlers, for listeners subscribed once.
  const handlers = useRef({ clear, move, runAction });
  handlers.current = { clear, move, runAction };

  useEffect(() => api.onAction((action: InspectorAction) => handlers.current.runAction(action)), [api]);

  const browserMode = init.mode === 'browser';
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const h = handlers.current;
      // No native menu in a browser: its shortcuts are the page's, wherever the focus is (as the menu's are).
      const menuAction = browserMode ? browserShortcut(e) : null;
      if (menuAction) {
        e.preventDefault();
        h.runAction(menuAction);
        return;
      }
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'f') {
        e.preventDefault();
        filterInput.current?.focus();
        filterInput.current?.select();
        return;
      }
      if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        h.clear();
        return;
      }
      if (mod || e.altKey || isEditable(e.target)) return;
      // Arrow keys scroll whatever has focus (a hex view, the details); they drive the list only from the list or the page.
      const inList = e.target instanceof Element && e.target.closest('.traffic') !== null;
      const atPage = e.target === document.body || e.target === document.documentElement || e.target === null;
      const nav = (to: Parameters<typeof move>[0]): void => { e.preventDefault(); h.move(to); };
      switch (e.key) {
        case '/': e.preventDefault(); filterInput.current?.focus(); return;
        case 'j': nav('next'); return;
        case 'k': nav('prev'); return;
      }
      if (!inList && !atPage) return;
      switch (e.key) {
        case 'ArrowDown': nav('next'); return;
        case 'ArrowUp': nav('prev'); return;
        case 'Home': nav('first'); return;
        case 'End': nav('last'); return;
        case 'PageDown': nav('page-down'); return;
        case 'PageUp': nav('page-up'); return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [browserMode]);

  const onFilter = (text: string): void => {
    setFilter(text);
    feed.setFilter(text);
  };

  const shown = feed.view.length;
  const filtering = !feed.view.complete;

  return (
    <div className={`app mode-${init.mode}`}>
      <ServerBar api={api} mode={init.mode} status={status} statusAt={statusAt} url={url} feed={feed} onCopyUrl={() => copy(url, 'URL')} />
      {init.notice && <AppNotice text={init.notice} />}
      <div className="workspace">
        <div className="left-column">
          <section className="traffic" aria-label="Traffic">
            <div className="toolbar">
              <input
                ref={filterInput} type="search" className="filter" data-testid="filter-input" value={filter}
                placeholder="Filter: text, status:4xx, method:POST, error, -term   ( / )" spellCheck={false}
                aria-label="Filter requests"
                onChange={(e) => onFilter(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') {
                    if (filter) onFilter('');
                    else e.currentTarget.blur();
                  } else if (e.key === 'Enter' || e.key === 'ArrowDown') {
                    (document.querySelector('[data-testid="traffic-list"]') as HTMLElement | null)?.focus();
                  }
                }}
              />
              <span className="shown muted" aria-live="polite">
                {filtering ? `filtering… ${Math.round(feed.view.progress * 100)}%` : filter.trim() ? `${shown} of ${feed.store.length}` : ''}
              </span>
              <button type="button" data-testid="clear-button" onClick={clear} title="Clear the list (Ctrl+K)">Clear</button>
            </div>
            {feed.filterProblems.length > 0 && <div className="filter-problems">{feed.filterProblems.join(' · ')}</div>}
            {feed.rejectedBatches > 0 && (
              <div className="filter-problems">{feed.rejectedBatches} record batch(es) could not be read: {feed.lastRejection}</div>
            )}
            <TrafficList feed={feed} version={version} selected={selected} onSelect={setSelected} handle={listHandle} />
          </section>
          <ResponseEditor api={api} initial={init.response} handle={editorHandle} />
        </div>
        <section className="details-pane" aria-label="Request details">
          {record
            ? <Details record={record} onCopyCurl={copyCurl} />
            : (
              <div className="details-empty">
                <p>Select a request to see its details.</p>
                <p className="muted">
                  <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↑</kbd>/<kbd>↓</kbd> move through the list, <kbd>/</kbd> filters,
                  {' '}<kbd>Ctrl</kbd>+<kbd>K</kbd> clears.
                </p>
                {browserMode && (
                  <p className="muted" data-testid="browser-shortcuts">
                    {BROWSER_SHORTCUTS.map((s, i) => (
                      <span key={s.action}>
                        {i > 0 && ', '}
                        {s.label.split('+').map((k, j) => <span key={k}>{j > 0 && '+'}<kbd>{k}</kbd></span>)} {SHORTCUT_WORDS[s.action]}
                      </span>
                    ))}.
                  </p>
                )}
              </div>
            )}
        </section>
      </div>
      {toast && <div className={`toast${toast.bad ? ' bad' : ''}`} role="status">{toast.text}</div>}
    </div>
  );
}
