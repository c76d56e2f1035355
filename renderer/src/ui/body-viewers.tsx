/**
 * The body viewers. Every one shows captured bytes as text nodes (React
 * escapes them); nothing is ever parsed as HTML. Images go through a Blob URL
 * on an <img>, where scripts cannot run (SVG included).
 */
import { useEffect, useMemo, useState } from 'react';
import { sniffImageType, decodeBody, looksBinary } from '../model/body-sniff';
import { describeJsonError, prettyJson } from '../model/json-pretty';
import { parseMultipart, type MultipartPart } from '../model/multipart';
import { parseMediaType } from '../model/media-type';
import { parseUrlEncoded } from '../model/url-encoded';
import { formatBytes, formatCount } from '../model/format';
import { HexView } from './hex-view';
import { KeyValueTable } from './key-value-table';

/** Text shown before a "show all" button: a few hundred KiB lay out quickly, megabytes do not. */
const TEXT_PREVIEW_CHARS = 256 * 1024;
/** Part content shown inline as text up to this size; larger parts are cut with a note. */
const PART_PREVIEW_BYTES = 16 * 1024;

interface ViewerProps {
  body: Uint8Array;
  contentType: string | null;
  truncated: boolean;
}

/** A long text, cut at TEXT_PREVIEW_CHARS until the user asks for all of it. */
function LongText({ text, className }: { text: string; className?: string }) {
  const [all, setAll] = useState(false);
  const cut = !all && text.length > TEXT_PREVIEW_CHARS;
  return (
    <>
      <pre className={`body-text ${className ?? ''}`} data-testid="body-view">{cut ? text.slice(0, TEXT_PREVIEW_CHARS) : text}</pre>
      {cut && (
        <button type="button" className="show-all" onClick={() => setAll(true)}>
          Showing {formatCount(TEXT_PREVIEW_CHARS)} of {formatCount(text.length)} characters — show all
        </button>
      )}
    </>
  );
}

export function TextViewer({ body, contentType }: ViewerProps) {
  const text = useMemo(() => decodeBody(body, contentType), [body, contentType]);
  if (body.length === 0) return <div className="viewer-note" data-testid="body-view">The request has no body.</div>;
  return <LongText text={text} />;
}

export function JsonViewer({ body, contentType, truncated }: ViewerProps) {
  const text = useMemo(() => decodeBody(body, contentType), [body, contentType]);
  const result = useMemo(() => prettyJson(text), [text]);
  if (result.ok) return <LongText text={result.text} className="json" />;
  return (
    <>
      <div className="viewer-error" data-testid="json-error" role="status">
        {describeJsonError(result)}
        {truncated && ' — the body was truncated by the capture, so its end is missing.'}
      </div>
      <LongText text={text} />
    </>
  );
}

export function FormViewer({ body }: ViewerProps) {
  const fields = useMemo(() => parseUrlEncoded(body), [body]);
  if (fields.length === 0) return <div className="viewer-note" data-testid="body-view">No form fields.</div>;
  return (
    <div data-testid="body-view">
      <KeyValueTable pairs={fields} rowTestId="form-row" />
    </div>
  );
}

function PartContent({ part }: { part: MultipartPart }) {
  const shown = part.body.subarray(0, PART_PREVIEW_BYTES);
  const more = part.body.length > shown.length;
  const binary = looksBinary(shown);
  return (
    <>
      {binary ? <div className="part-hex"><HexView bytes={shown} /></div> : <pre className="body-text part-text">{decodeBody(shown, part.contentType)}</pre>}
      {more && <div className="viewer-note">First {formatBytes(shown.length)} of {formatBytes(part.body.length)} shown.</div>}
    </>
  );
}

export function MultipartViewer({ body, contentType, truncated }: ViewerProps) {
  const boundary = contentType === null ? undefined : parseMediaType(contentType)?.params.get('boundary');
  const result = useMemo(() => (boundary === undefined ? null : parseMultipart(body, boundary)), [body, boundary]);
  if (result === null) {
    return <div className="viewer-error" data-testid="body-view">Not multipart: the Content-Type has no boundary parameter.</div>;
  }
  if (!result.ok) return <div className="viewer-error" data-testid="body-view">Not multipart: {result.message}.</div>;
  return (
    <div data-testid="body-view" className="parts">
      {!result.complete && (
        <div className="viewer-note">
          {truncated ? 'The body was truncated by the capture; ' : 'The body ends before its closing boundary; '}
          the parts found so far are shown.
        </div>
      )}
      {result.parts.length === 0 && <div className="viewer-note">No parts.</div>}
      {result.parts.map((part, i) => (
        <section key={i} className="part" data-testid="multipart-part">
          <header className="part-head">
            <span className="part-index">Part {i + 1}</span>
            {part.name !== null && <span className="part-name">name <b>{part.name}</b></span>}
            {part.filename !== null && <span className="part-file">file <b>{part.filename}</b></span>}
            {part.contentType !== null && <span className="part-type">{part.contentType}</span>}
            <span className="part-size">{formatBytes(part.body.length)}</span>
          </header>
          {part.headers.length > 0 && (
            <table className="kv-table compact">
              <tbody>
                {part.headers.map(([n, v], j) => <tr key={j}><td className="kv-name">{n}</td><td className="kv-value">{v}</td></tr>)}
              </tbody>
            </table>
          )}
          <PartContent part={part} />
        </section>
      ))}
    </div>
  );
}

export function HexViewer({ body }: ViewerProps) {
  return <div data-testid="body-view" className="body-hex"><HexView bytes={body} /></div>;
}

export function ImageViewer({ body, contentType, truncated }: ViewerProps) {
  const declared = contentType === null ? null : parseMediaType(contentType);
  const type = declared?.type === 'image' ? declared.essence : sniffImageType(body) ?? 'application/octet-stream';
  const [url, setUrl] = useState<string | null>(null);
  const [size, setSize] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    // Copy: the body is a view into a batch shared with other records; the Blob must hold only these bytes.
    const u = URL.createObjectURL(new Blob([body.slice()], { type }));
    setUrl(u);
    setSize(null);
    setFailed(false);
    return () => URL.revokeObjectURL(u);
  }, [body, type]);
  return (
    <div data-testid="body-view" className="image-view">
      <div className="viewer-note">
        {type}{size && ` · ${size}`}{truncated && ' · truncated by the capture, the image may be cut off'}
        {failed && ' · the browser could not decode these bytes as an image'}
      </div>
      {url && (
        <img
          src={url}
          alt="Request body shown as an image"
          onLoad={(e) => setSize(`${e.currentTarget.naturalWidth} × ${e.currentTarget.naturalHeight} px`)}
          onError={() => setFailed(true)}
        />
      )}
    </div>
  );
}
