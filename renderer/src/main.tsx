import { createRoot } from 'react-dom/client';
import { INSPECTOR_API_KEY, type InspectorApi } from '../../common/inspector-api';
import { createBrowserInspectorApi } from './browser-api';
import { App } from './ui/app';
import { ErrorScreen } from './ui/error-screen';

/**
 * The shell's API: `window.sockeye` when a shell defined it before this ran
 * (the desktop preload, the e2e harness); else, on a page served over HTTP(S),
 * the browser mode's API (`sockeye serve --ui`); else none (e.g. the built
 * index.html opened as a file).
 */
function findApi(): InspectorApi | undefined {
  const defined = (window as unknown as Record<string, InspectorApi | undefined>)[INSPECTOR_API_KEY];
  if (defined) return defined;
  if (location.protocol === 'http:' || location.protocol === 'https:') return createBrowserInspectorApi();
  return undefined;
}

const root = document.getElementById('root');
const api = findApi();
if (root) {
  createRoot(root).render(api ? <App api={api} /> : (
    <ErrorScreen title="Sockeye is not connected">
      This page needs the Sockeye shell: <code>window.{INSPECTOR_API_KEY}</code> is missing. Open it from the Sockeye
      desktop app, or run <code>sockeye serve --ui</code> and use the address it prints.
    </ErrorScreen>
  ));
}
