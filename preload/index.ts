/**
 * Preload (sandboxed, bundled into one file that requires only 'electron'):
 * exposes the InspectorApi on window.sockeye. Glue only; the logic is in
 * inspector-bridge.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { INSPECTOR_API_KEY } from '../common/inspector-api';
import { createInspectorApi } from './inspector-bridge';

contextBridge.exposeInMainWorld(INSPECTOR_API_KEY, createInspectorApi(ipcRenderer));
