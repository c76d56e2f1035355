/** window.sockeye as tests call it from page.evaluate (the harness or the preload defines it). */
import type { InspectorApi } from '../../common/inspector-api';

declare global {
  interface Window {
    sockeye: InspectorApi;
  }
}

export {};
