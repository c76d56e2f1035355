/**
 * The browser inspector's HTTP protocol (`sockeye serve --ui`): the paths,
 * the access secret's names and the Server-Sent Events the page listens to.
 * The server side lives in cli/ui/, the page side in
 * renderer/src/browser-api.ts; both import these names from here.
 *
 * - GET  /?secret=S      → 303 to `/`, setting the cookie (uiCookieName) to S
 * - GET  / , /assets/…   → the built renderer (dist/renderer)
 * - GET  UI_PATHS.init   → InspectorInit as JSON (mode 'browser')
 * - GET  UI_PATHS.events → text/event-stream: `status` events (EngineStatus as JSON) and
 *                          `records` events (`id:` = batch sequence number, data = base64 of
 *                          encodeRecordBatchBinary); history after Last-Event-ID is replayed
 * - POST UI_PATHS.response  CannedResponse as JSON → CommandResult as JSON
 * - POST UI_PATHS.listen    ListenSettings as JSON → CommandResult as JSON
 *
 * Every request must carry the secret (cookie, or the query on the first
 * one), a Host naming the UI listener, and no foreign Origin.
 */

export const UI_PATHS = {
  init: '/api/init',
  events: '/api/events',
  response: '/api/response',
  listen: '/api/listen',
} as const;

/** The query parameter of the printed URL that carries the secret once. */
export const SECRET_QUERY_PARAM = 'secret';

/** Cookie names are per port: cookies are not isolated by port, and two instances may run side by side. */
export function uiCookieName(uiPort: number): string {
  return `sockeye_ui_${uiPort}`;
}

/** SSE event names on UI_PATHS.events. */
export const SSE_EVENTS = {
  status: 'status',
  records: 'records',
} as const;
