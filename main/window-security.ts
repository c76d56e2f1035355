/**
 * The window's security settings as data and small functions, so they are
 * tested under Node and the glue only applies them. Numbers refer to the
 * Electron security checklist (electronjs.org/docs/latest/tutorial/security).
 *
 * The page is served from a custom protocol, sockeye://app/, rather than
 * file:// (checklist 18, "Avoid usage of the file:// protocol"): every
 * response then carries the CSP as a header (checklist 7) on top of the
 * page's meta tag, only files under the renderer folder can be loaded, and the
 * page has one exact origin to check IPC senders against.
 */
import { extname, join, normalize, sep } from 'node:path';

export const APP_SCHEME = 'sockeye';
export const APP_HOST = 'app';
export const APP_PAGE_PATH = '/index.html';
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}${APP_PAGE_PATH}`;

/**
 * The policy of renderer/index.html's meta tag (a test keeps them equal):
 * nothing but our own scripts and styles, no inline code, no eval, no
 * network beyond our origin (the engine's data comes over a MessagePort).
 */
export const META_CSP_DIRECTIVES: readonly string[] = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'none'",
];
/** Directives that work only in a header (CSP3: a meta tag ignores frame-ancestors). */
export const HEADER_ONLY_CSP_DIRECTIVES: readonly string[] = ["frame-ancestors 'none'"];
/** The Content-Security-Policy header of every app response. */
export const CONTENT_SECURITY_POLICY = [...META_CSP_DIRECTIVES, ...HEADER_ONLY_CSP_DIRECTIVES].join('; ');

/** Privileges of the app scheme: a standard, secure origin (so module scripts and 'self' work), nothing more. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true } as const;

/** BrowserWindow webPreferences for the inspector window. */
export function inspectorWebPreferences(preloadPath: string, options: { devTools: boolean }) {
  return {
    preload: preloadPath,
    contextIsolation: true, // checklist 3
    sandbox: true, // checklist 4
    nodeIntegration: false, // checklist 2
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true, // checklist 5
    allowRunningInsecureContent: false, // checklist 8
    experimentalFeatures: false, // checklist 9
    enableBlinkFeatures: '', // checklist 10
    // Middle-click (auxclick) could open links in new windows; new windows are denied anyway, and the page needs no auxclick.
    disableBlinkFeatures: 'Auxclick',
    webviewTag: false, // checklist 12
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: options.devTools,
  } as const;
}

/** Is `url` our page (query and fragment allowed, nothing else)? Never throws. */
export function isAppPageUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.pathname === APP_PAGE_PATH && parsed.username === '' && parsed.password === '';
}

/** will-navigate / will-redirect: the page never goes anywhere else (checklist 13). */
export function navigationAllowed(_url: string): boolean {
  return false;
}

/** setWindowOpenHandler: no new windows, and nothing is opened externally (checklist 14, 15). */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** setPermissionRequestHandler / setPermissionCheckHandler: an inspector needs no camera, notifications… (checklist 6). */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export interface AppAsset {
  file: string;
  contentType: string;
}

/**
 * Map a sockeye://app/… request to a file under `root` (the built renderer).
 * Null for another host, an unknown file type, or a path that would leave
 * `root` (encoded dot segments, backslashes, NUL). Never throws.
 */
export function resolveAppAsset(root: string, url: string): AppAsset | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path === '/' || path === '') path = APP_PAGE_PATH;
  const file = normalize(join(root, path));
  const rootWithSep = root.endsWith(sep) ? root : root + sep;
  if (!file.startsWith(rootWithSep)) return null;
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!contentType) return null;
  return { file, contentType };
}

/** Headers of every app response: the CSP again (as a header it also covers non-HTML files) and no sniffing. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
