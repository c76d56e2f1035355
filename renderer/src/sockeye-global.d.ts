import type { InspectorApi } from '../../common/inspector-api';

declare global {
  interface Window {
    /** Exposed by the preload (desktop), the e2e harness or the browser-mode shim; missing means no shell. */
    sockeye?: InspectorApi;
  }
}

export {};
