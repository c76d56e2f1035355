/**
 * Details of the selected request: a header line (method, target, version,
 * status, copy as cURL), the error of a malformed request, and four tabs.
 */
import { memo, useMemo, useState, type ReactNode } from 'react';
import type { CaptureRecord, HeaderPair } from '../../../common/capture-record';
import { CAPTURE_ERROR_STATUS } from '../../../common/capture-record';
import { reasonFor } from '../../../common/canned-response';
import { BODY_VIEWERS, pickViewer, type BodyViewer } from '../model/body-sniff';
import { formatAddress, formatBytes, formatClock, formatDuration } from '../model/format';
import { headerValue } from '../model/media-type';
import { splitTarget } from '../model/url-encoded';
import { FormViewer, HexViewer, ImageViewer, JsonViewer, MultipartViewer, TextViewer } from './body-viewers';
import { HexView } from './hex-view';
import { KeyValueTable } from './key-value-table';

export type DetailTab = 'overview' | 'headers' | 'body' | 'raw';
const TABS: readonly { id: DetailTab; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'headers', label: 'Headers' },
  { id: 'body', label: 'Body' },
  { id: 'raw', label: 'Raw' },
];

const VIEWER_LABELS: Record<BodyViewer, string> = {
  text: 'Text', json: 'JSON', form: 'Form (urlencoded)', multipart: 'Multipart', hex: 'Hex', image: 'Image',
};

interface Props {
  record: CaptureRecord;
  onCopyCurl(): void;
  /** The tab shown first (the user's choice is kept across records after that). */
  initialTab?: DetailTab;
}

function statusLabel(status: number | null): string {
  if (status === null) return 'not answered';
  const reason = reasonFor(status);
  return reason ? `${status} ${reason}` : String(status);
}

/** Memoized: the page re-renders every frame while traffic flows, the selected record does not change. */
export const Details = memo(function Details({ record, onCopyCurl, initialTab = 'overview' }: Props) {
  const [tab, setTab] = useState<DetailTab>(initialTab);
  return (
    <div className="details" data-testid="details">
      <div className="details-head">
        <div className="request-line">
          <span className="method-badge" data-testid="detail-method">{record.method}</span>
          <span className="detail-target" data-testid="detail-target">{record.target}</span>
          <span className="detail-version" data-testid="detail-version">{record.version}</span>
        </div>
        <div className="details-actions">
          <span className={`status-badge ${record.status === null ? 'status-none' : `status-${Math.floor(record.status / 100)}xx`}`}>
            {statusLabel(record.status)}
          </span>
          <button type="button" data-testid="copy-curl" onClick={onCopyCurl} title="Copy a curl command that sends this request again">
            Copy as cURL
          </button>
        </div>
      </div>
      {record.error !== null && (
        <div className="detail-error" data-testid="detail-error" role="alert">
          <strong className="error-code">{record.error}</strong>
          <span className="error-detail">{record.errorDetail ?? ''}</span>
          <span className="error-status">
            {record.status === null
              ? CAPTURE_ERROR_STATUS[record.error] === null ? 'Not answered (the connection closed).' : 'Not answered.'
              : `Answered ${statusLabel(record.status)} and closed.`}
          </span>
        </div>
      )}
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'active' : undefined}
            data-testid={`tab-${t.id}`} onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'headers' && <span className="tab-count">{record.headers.length}</span>}
            {t.id === 'body' && record.bodyLength > 0 && <span className="tab-count">{formatBytes(record.bodyLength)}</span>}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel">
        {tab === 'overview' && <Overview record={record} />}
        {tab === 'headers' && <Headers record={record} />}
        {tab === 'body' && <BodyTab key={record.id} record={record} />}
        {tab === 'raw' && <RawTab record={record} />}
      </div>
    </div>
  );
});

function Row({ label, children }: { label: string; children: ReactNode }) {
  return <tr><th scope="row">{label}</th><td>{children}</td></tr>;
}

function Overview({ record: r }: { record: CaptureRecord }) {
  const split = useMemo(() => splitTarget(r.target), [r.target]);
  const t = r.timestamps;
  const stages: [string, number | null][] = [
    ['Accepted', t.accepted], ['First byte', t.firstByte], ['Head complete', t.headComplete],
    ['Body complete', t.bodyComplete], ['Response written', t.responseWritten],
  ];
  let previous = t.accepted;
  return (
    <div className="overview">
      <section>
        <h3>Request</h3>
        <table className="facts">
          <tbody>
            <Row label="Method">{r.method || <span className="placeholder">(not parsed)</span>}</Row>
            <Row label="Path"><code>{split.path}</code>{split.decodedPath !== split.path && <span className="decoded"> = {split.decodedPath}</span>}</Row>
            <Row label="Query">{split.query === null ? <span className="placeholder">none</span> : <code>{split.query}</code>}</Row>
            <Row label="Version">{r.version || <span className="placeholder">(not parsed)</span>}</Row>
            <Row label="Peer">{formatAddress(r.peer)} <span className="muted">({r.peer.family})</span></Row>
            <Row label="Listener">{formatAddress(r.listener)}</Row>
            <Row label="Connection">#{r.connectionId}, request {r.requestOnConnection} on it</Row>
            <Row label="Status">{statusLabel(r.status)}</Row>
            <Row label="Body">
              {formatBytes(r.bodyLength)}
              {r.bodyTruncated && <span className="warn"> — truncated: {formatBytes(r.body.length)} kept</span>}
            </Row>
            <Row label="On the wire">{formatBytes(r.rawLength)}{r.raw.length < r.rawLength && <span className="warn"> — {formatBytes(r.raw.length)} kept</span>}</Row>
          </tbody>
        </table>
      </section>
      {split.params.length > 0 && (
        <section>
          <h3>Query parameters</h3>
          <KeyValueTable pairs={split.params} rowTestId="query-param-row" />
        </section>
      )}
      <section>
        <h3>Timings</h3>
        <table className="facts timings">
          <tbody>
            {stages.map(([label, at]) => {
              const row = (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td>{at === null ? <span className="placeholder">—</span> : formatClock(at)}</td>
                  <td className="muted">{at === null || label === 'Accepted' ? '' : `+${formatDuration(at - previous)}`}</td>
                </tr>
              );
              if (at !== null) previous = at;
              return row;
            })}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function HeaderTable({ pairs, testId }: { pairs: readonly HeaderPair[]; testId: string }) {
  return <KeyValueTable pairs={pairs} rowTestId={testId} nameTestId="header-name" valueTestId="header-value" className="headers" />;
}

function Headers({ record: r }: { record: CaptureRecord }) {
  return (
    <div className="headers-tab">
      {r.headers.length === 0
        ? <div className="viewer-note">No header fields were parsed{r.error ? ' (the request is malformed; see Raw)' : ''}.</div>
        : <HeaderTable pairs={r.headers} testId="header-row" />}
      {r.trailers.length > 0 && (
        <section>
          <h3>Trailers</h3>
          <HeaderTable pairs={r.trailers} testId="trailer-row" />
        </section>
      )}
    </div>
  );
}

function BodyTab({ record: r }: { record: CaptureRecord }) {
  const contentType = headerValue(r.headers, 'content-type');
  const [viewer, setViewer] = useState<BodyViewer>(() => pickViewer(contentType, r.body));
  const props = { body: r.body, contentType, truncated: r.bodyTruncated };
  return (
    <div className="body-tab">
      <div className="body-toolbar">
        <label>
          <span className="label">View as</span>
          <select data-testid="body-viewer-select" value={viewer} onChange={(e) => setViewer(e.target.value as BodyViewer)}>
            {BODY_VIEWERS.map((v) => <option key={v} value={v}>{VIEWER_LABELS[v]}</option>)}
          </select>
        </label>
        <span className="muted">
          {contentType ?? 'no Content-Type'} · {formatBytes(r.bodyLength)}
          {r.bodyTruncated && ` · truncated by the capture (${formatBytes(r.body.length)} kept)`}
        </span>
      </div>
      <div className="body-content">
        {viewer === 'text' && <TextViewer {...props} />}
        {viewer === 'json' && <JsonViewer {...props} />}
        {viewer === 'form' && <FormViewer {...props} />}
        {viewer === 'multipart' && <MultipartViewer {...props} />}
        {viewer === 'hex' && <HexViewer {...props} />}
        {viewer === 'image' && <ImageViewer {...props} />}
      </div>
    </div>
  );
}

function RawTab({ record: r }: { record: CaptureRecord }) {
  return (
    <div className="raw-tab" data-testid="raw-view">
      <div className="muted raw-info">
        {formatBytes(r.raw.length)} captured of {formatBytes(r.rawLength)} on the wire
        {r.headLength > 0 && ` · head ${formatBytes(r.headLength)}`}
        {r.raw.length < r.rawLength && ' · the rest was not kept'}
      </div>
      <HexView bytes={r.raw} hexTestId="raw-hex" textTestId="raw-text" />
    </div>
  );
}
