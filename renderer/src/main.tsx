import { createRoot } from 'react-dom/client';
import { INSPECTOR_API_KEY, type InspectorApi } from '../../common/inspector-api';
import { App } from './ui/app';
import { ErrorScreen } from './ui/error-screen';

const root = document.getElementById('root');
// The shell (preload, harness or browser shim) defines the API before this runs; without it there is nothing to show.
const api = (window as unknown as Record<string, InspectorApi | undefined>)[INSPECTOR_API_KEY];
if (root) {
  createRoot(root).render(api ? <App api={api} /> : (
    <ErrorScreen title="Sockeye is not connected">
      This page needs the Sockeye shell: <code>window.{INSPECTOR_API_KEY}</code> is missing. Open it from the Sockeye
      desktop app, or run <code>sockeye serve --ui</code> and use the address it prints.
    </ErrorScreen>
  ));
}
