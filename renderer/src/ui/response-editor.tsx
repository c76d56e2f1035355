/**
 * The canned response editor. Every edit is validated with the shared
 * validator; invalid input is shown next to its field and never sent. A valid
 * edit is sent APPLY_DELAY_MS after typing stops, and the state line says
 * whether what is on screen is what the next request gets.
 */
import { memo, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { CannedResponse, FieldError } from '../../../common/canned-response';
import { reasonFor, statusForbidsBody } from '../../../common/canned-response';
import type { InspectorApi } from '../../../common/inspector-api';
import {
  CONTENT_TYPE_CHOICES, contentTypeChoice, draftFromResponse, errorsByField, newRowKey, sameResponse, validateDraft,
  withContentType, type ContentTypeChoice, type ResponseDraft,
} from '../model/response-draft';

/** Typing pause before a valid edit is sent. */
const APPLY_DELAY_MS = 200;

type ApplyState =
  | { kind: 'applied' }
  | { kind: 'applying' }
  | { kind: 'invalid'; errors: FieldError[] }
  /** Refused by the other side (it validates again), or the call failed. */
  | { kind: 'refused'; errors: FieldError[] };

export interface EditorHandle {
  focus(): void;
}

interface Props {
  api: InspectorApi;
  initial: CannedResponse;
  handle: RefObject<EditorHandle | null>;
}

function FieldErrors({ field, errors }: { field: string; errors: Map<string, string[]> }) {
  const messages = errors.get(field);
  if (!messages) return null;
  return (
    <>
      {messages.map((m, i) => (
        <div key={i} className="field-error" data-testid="response-field-error" data-field={field} role="alert">{m}</div>
      ))}
    </>
  );
}

function stateText(state: ApplyState): string {
  switch (state.kind) {
    case 'applied': return 'Applied to the next request';
    case 'applying': return 'Applying…';
    case 'invalid': return `Not applied: ${state.errors.length === 1 ? state.errors[0]!.message : `${state.errors.length} problems`}`;
    case 'refused': return `Not applied: ${state.errors.map((e) => e.message).join('; ')}`;
  }
}

/** Memoized: the page re-renders every frame while traffic flows; the editor only on its own edits. */
export const ResponseEditor = memo(function ResponseEditor({ api, initial, handle }: Props) {
  const [draft, setDraft] = useState<ResponseDraft>(() => draftFromResponse(initial));
  const [state, setState] = useState<ApplyState>({ kind: 'applied' });
  const [open, setOpen] = useState(true);
  const applied = useRef<CannedResponse>(initial);
  /** Numbers each send, so a late answer to an older edit cannot overwrite the state of a newer one. */
  const sendSeq = useRef(0);
  const statusInput = useRef<HTMLInputElement>(null);

  handle.current = {
    focus() {
      setOpen(true);
      requestAnimationFrame(() => statusInput.current?.focus());
    },
  };

  // Validating walks the whole body: once per edit, not once per render.
  const validation = useMemo(() => validateDraft(draft), [draft]);
  // Errors from the other side are shown inline too, until the next edit.
  const shownErrors = errorsByField(!validation.ok ? validation.errors : state.kind === 'refused' ? state.errors : []);

  useEffect(() => {
    if (!validation.ok) {
      sendSeq.current++;
      setState({ kind: 'invalid', errors: validation.errors });
      return;
    }
    const response = validation.value;
    if (sameResponse(response, applied.current)) {
      sendSeq.current++;
      setState({ kind: 'applied' });
      return;
    }
    setState({ kind: 'applying' });
    const seq = ++sendSeq.current;
    const timer = setTimeout(() => {
      api.setResponse(response).then((result) => {
        if (seq !== sendSeq.current) return;
        if (result.ok) {
          applied.current = response;
          setState({ kind: 'applied' });
        } else {
          setState({ kind: 'refused', errors: result.errors });
        }
      }, (err: unknown) => {
        if (seq !== sendSeq.current) return;
        setState({ kind: 'refused', errors: [{ field: '', message: `could not apply: ${err instanceof Error ? err.message : String(err)}` }] });
      });
    }, APPLY_DELAY_MS);
    return () => clearTimeout(timer);
  }, [validation, api]);

  const update = (patch: Partial<ResponseDraft>): void => setDraft((d) => ({ ...d, ...patch }));
  const setHeader = (i: number, patch: { name?: string; value?: string }): void =>
    setDraft((d) => ({ ...d, headers: d.headers.map((h, j) => (j === i ? { ...h, ...patch } : h)) }));
  const choice = contentTypeChoice(draft);
  const statusNumber = Number(draft.status);
  const standardReason = Number.isInteger(statusNumber) ? reasonFor(statusNumber) : '';
  const stateClass = state.kind === 'applied' ? 'ok' : state.kind === 'applying' ? 'busy' : 'bad';
  const noBody = Number.isInteger(statusNumber) && statusForbidsBody(statusNumber);

  return (
    <section className={`response-editor${open ? '' : ' collapsed'}`} data-testid="response-editor" aria-label="Response editor">
      <header className="editor-head">
        <button type="button" className="collapse" aria-expanded={open} onClick={() => setOpen(!open)} title={open ? 'Hide the editor' : 'Show the editor'}>
          {open ? '▾' : '▸'}
        </button>
        <h2>Response</h2>
        <span className={`response-state ${stateClass}`} data-testid="response-state" role="status">{stateText(state)}</span>
      </header>
      {open && (
        <div className="editor-body">
          <div className="editor-grid">
            <div className="status-fields">
              <label className="field">
                <span className="label">Status</span>
                <input
                  ref={statusInput} type="number" min={200} max={599} data-testid="response-status" value={draft.status}
                  aria-invalid={shownErrors.has('status')} onChange={(e) => update({ status: e.target.value })}
                />
              </label>
              <label className="field grow">
                <span className="label">Reason</span>
                <input
                  data-testid="response-reason" value={draft.reason} placeholder={standardReason || 'reason phrase'}
                  aria-invalid={shownErrors.has('reason')} onChange={(e) => update({ reason: e.target.value })}
                />
              </label>
              <label className="field">
                <span className="label">Content type</span>
                <select
                  data-testid="response-content-type" value={choice}
                  onChange={(e) => setDraft((d) => withContentType(d, e.target.value as ContentTypeChoice))}
                >
                  {CONTENT_TYPE_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label} ({c.value})</option>)}
                  <option value="custom">Custom (edit the header row)</option>
                  <option value="none">None</option>
                </select>
              </label>
              <label className="field">
                <span className="label">Body encoding</span>
                <select value={draft.bodyEncoding} onChange={(e) => update({ bodyEncoding: e.target.value as 'utf8' | 'base64' })}>
                  <option value="utf8">UTF-8 text</option>
                  <option value="base64">Base64 bytes</option>
                </select>
              </label>
            </div>
            <FieldErrors field="status" errors={shownErrors} />
            <FieldErrors field="reason" errors={shownErrors} />
            <div className="header-rows">
              <div className="label">Headers <span className="muted">(Content-Length is computed)</span></div>
              {draft.headers.map((h, i) => (
                <div key={h.key} className="header-edit" data-testid="response-header-row">
                  <div className="header-inputs">
                    <input
                      data-testid="response-header-name" value={h.name} placeholder="Name" spellCheck={false}
                      aria-invalid={shownErrors.has(`headers[${i}].name`)} onChange={(e) => setHeader(i, { name: e.target.value })}
                    />
                    <input
                      data-testid="response-header-value" value={h.value} placeholder="Value" spellCheck={false}
                      aria-invalid={shownErrors.has(`headers[${i}].value`)} onChange={(e) => setHeader(i, { value: e.target.value })}
                    />
                    <button
                      type="button" className="icon" data-testid="response-header-remove" title="Remove this header"
                      onClick={() => setDraft((d) => ({ ...d, headers: d.headers.filter((_, j) => j !== i) }))}
                    >
                      ✕
                    </button>
                  </div>
                  <FieldErrors field={`headers[${i}]`} errors={shownErrors} />
                  <FieldErrors field={`headers[${i}].name`} errors={shownErrors} />
                  <FieldErrors field={`headers[${i}].value`} errors={shownErrors} />
                </div>
              ))}
              <FieldErrors field="headers" errors={shownErrors} />
              <button
                type="button" data-testid="response-add-header"
                onClick={() => setDraft((d) => ({ ...d, headers: [...d.headers, { key: newRowKey(), name: '', value: '' }] }))}
              >
                + Add header
              </button>
            </div>
            <label className="field body-field">
              <span className="label">Body{noBody && <span className="muted"> (a {statusNumber} response has no body)</span>}</span>
              <textarea
                data-testid="response-body" value={draft.body} spellCheck={false} rows={5}
                aria-invalid={shownErrors.has('body')} onChange={(e) => update({ body: e.target.value })}
              />
            </label>
            <FieldErrors field="body" errors={shownErrors} />
            <FieldErrors field="bodyEncoding" errors={shownErrors} />
            <FieldErrors field="" errors={shownErrors} />
          </div>
        </div>
      )}
    </section>
  );
});
