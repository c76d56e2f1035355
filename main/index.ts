/**
 * Electron main process: glue only. Every decision it applies lives in a
 * module tested under Node (window-security, ipc-guards, inspector-service,
 * engine-supervisor, settings-store, menu-template). Main never loads koffi
 * and is not in the records' path.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { app, BrowserWindow, clipboard, ipcMain, Menu, protocol, session } from 'electron';
import type { EngineStatus, InspectorAction } from '../common/inspector-api';
import { IPC_EVENT } from '../common/ipc-channels';
import { EngineSupervisor } from './engine-supervisor';
import { inspectorHandlers } from './inspector-service';
import { guardedInvoke, type TrustedSender } from './ipc-guards';
import { buildMenuTemplate } from './menu-template';
import { SettingsStore } from './settings-store';
import { RecordsLink, ENGINE_SERVICE_NAME, utilityEngineForker } from './utility-engine';
import {
  APP_PAGE_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, appResponseHeaders, inspectorWebPreferences, navigationAllowed,
  permissionAllowed, resolveAppAsset, windowOpenDecision,
} from './window-security';

/** Built layout: dist/electron/{main,preload,engine}.js and dist/renderer/. */
const PRELOAD_PATH = join(__dirname, 'preload.js');
const ENGINE_PATH = join(__dirname, 'engine.js');
const RENDERER_ROOT = join(__dirname, '..', 'renderer');
const WINDOW_SIZE = { width: 1280, height: 820, minWidth: 720, minHeight: 480 };
/** Developer tools: never in a packaged build unless asked for. */
const DEV_TOOLS = !app.isPackaged || process.env.SOCKEYE_DEVTOOLS === '1';

const log = (line: string): void => void process.stderr.write(`sockeye: ${line}\n`);

// A separate profile (tests, portable use); must be set before the single-instance lock, which is per profile.
if (process.env.SOCKEYE_USER_DATA_DIR) app.setPath('userData', process.env.SOCKEYE_USER_DATA_DIR);

// Must happen before 'ready': the app page's origin is sockeye://app (see window-security.ts).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

let window: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  hardenEveryWebContents();
  void app.whenReady().then(start);
}

/** Checklist 13–15: no navigation, no new windows, no webviews, for every webContents ever created. */
function hardenEveryWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    const refuse = (event: { preventDefault(): void }, url: string): void => {
      if (!navigationAllowed(url)) {
        event.preventDefault();
        log(`navigation to ${url.slice(0, 200)} refused`);
      }
    };
    contents.on('will-navigate', (event) => refuse(event, event.url));
    contents.on('will-redirect', (event) => refuse(event, event.url));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      log(`window.open(${url.slice(0, 200)}) refused`);
      return windowOpenDecision();
    });
  });
}

function serveAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = resolveAppAsset(RENDERER_ROOT, request.url);
    if (asset) {
      try {
        return new Response(await readFile(asset.file), { headers: appResponseHeaders(asset.contentType) });
      } catch {
        // Missing file: the same 404 as an unknown path.
      }
    }
    return new Response('not found', { status: 404, headers: appResponseHeaders('text/plain; charset=utf-8') });
  });
}

function start(): void {
  serveAppProtocol();
  // Checklist 6: the inspector needs no permission at all.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionAllowed(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => permissionAllowed(permission));

  const store = new SettingsStore(app.getPath('userData'));
  const { settings, notice } = store.load();
  if (notice) log(notice);

  const trusted: TrustedSender = { webContentsId: null };
  const link = new RecordsLink();
  const sendToPage = (channel: string, payload: EngineStatus | InspectorAction): void => {
    if (window && !window.isDestroyed()) window.webContents.send(channel, payload);
  };
  const supervisor = new EngineSupervisor({
    fork: utilityEngineForker(ENGINE_PATH, link),
    listen: settings.listen,
    response: settings.response,
    onStatus: (status) => sendToPage(IPC_EVENT.status, status),
    log,
  });
  app.on('child-process-gone', (_event, details) => {
    if (details.type === 'Utility' && details.serviceName === ENGINE_SERVICE_NAME) log(`engine process gone: ${details.reason} (exit code ${details.exitCode})`);
  });

  const handlers = inspectorHandlers({ settings: store, engine: supervisor, clipboard, notice });
  for (const [channel, handler] of Object.entries(handlers)) {
    ipcMain.handle(channel, (event, payload: unknown) => guardedInvoke(channel, event, payload, trusted, handler, log));
  }

  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ dispatch: (action) => sendToPage(IPC_EVENT.action, action), devTools: DEV_TOOLS })));

  supervisor.start();
  window = createWindow(trusted, link);

  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed) return;
    // Stop the engine cleanly (bounded by the supervisor's stop timeout), then quit for real.
    event.preventDefault();
    void supervisor.dispose().finally(() => {
      disposed = true;
      app.quit();
    });
  });
  app.on('window-all-closed', () => app.quit());
}

function createWindow(trusted: TrustedSender, link: RecordsLink): BrowserWindow {
  const win = new BrowserWindow({
    ...WINDOW_SIZE,
    title: 'Sockeye',
    show: false,
    autoHideMenuBar: false,
    // The isolation switches are spelled out at the call as well, so the static scan in scripts/security-scan.js
    // (electronegativity) sees them here; window-security.ts has the same values, tested.
    webPreferences: exposeWindowPreferences({
      ...inspectorWebPreferences(PRELOAD_PATH, { devTools: DEV_TOOLS }),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      disableBlinkFeatures: 'Auxclick',
    }),
  });
  trusted.webContentsId = win.webContents.id;
  win.once('ready-to-show', () => win.show());
  const contents = win.webContents;
  // No 'did-start-loading' → pageGone: a navigation refused in will-navigate still starts loading but never
  // finishes, and the page (with its port) would stay cut off from every later engine. Each finished load
  // hands the new document a fresh port instead; the preload always takes the newest.
  contents.on('did-finish-load', () => link.pageLoaded(contents));
  contents.on('render-process-gone', (_event, details) => {
    log(`renderer gone: ${details.reason}`);
    link.pageGone();
  });
  win.on('closed', () => {
    trusted.webContentsId = null;
    link.pageGone();
    window = null;
  });
  void win.loadURL(APP_PAGE_URL);
  return win;
}

/**
 * Electron has no getter for a window's webPreferences: keep a frozen copy of exactly what the window was given
 * where the e2e spec reads it (main process only), and pass them on unchanged.
 */
function exposeWindowPreferences<T extends object>(webPreferences: T): T {
  (globalThis as { sockeyeWindowPreferences?: unknown }).sockeyeWindowPreferences = Object.freeze({ ...webPreferences });
  return webPreferences;
}
