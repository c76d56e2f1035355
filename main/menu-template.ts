/**
 * The application menu as a plain template (Linux conventions: File, Edit,
 * View, Help; Ctrl accelerators). Items that act on the inspector send an
 * InspectorAction to the renderer; the rest are Electron roles. Accelerators
 * are written out even for roles, so a test can check they are unique.
 * Only a type is imported from electron: nothing here loads it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { InspectorAction } from '../common/inspector-api';

export interface MenuOptions {
  /** Send a shell action to the renderer. */
  dispatch: (action: InspectorAction) => void;
  /** Developer tools only in development (SOCKEYE_DEVTOOLS=1 or an unpackaged run). */
  devTools: boolean;
}

/** Every action item: label, accelerator, action. One table so nothing is wired twice or forgotten. */
export const ACTION_ITEMS: readonly { menu: 'File' | 'View'; label: string; accelerator: string; action: InspectorAction }[] = [
  { menu: 'File', label: 'Clear Traffic', accelerator: 'Ctrl+K', action: 'clear' },
  { menu: 'View', label: 'Focus Filter', accelerator: 'Ctrl+F', action: 'focus-filter' },
  { menu: 'View', label: 'Copy URL', accelerator: 'Ctrl+Shift+C', action: 'copy-url' },
  { menu: 'View', label: 'Copy as cURL', accelerator: 'Ctrl+Alt+C', action: 'copy-curl' },
  { menu: 'View', label: 'Edit Response', accelerator: 'Ctrl+E', action: 'edit-response' },
];

export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const actionItems = (menu: 'File' | 'View'): MenuItemConstructorOptions[] =>
    ACTION_ITEMS.filter((item) => item.menu === menu).map((item) => ({
      label: item.label,
      accelerator: item.accelerator,
      click: () => options.dispatch(item.action),
    }));

  const devItems: MenuItemConstructorOptions[] = options.devTools
    ? [{ type: 'separator' }, { role: 'toggleDevTools', accelerator: 'Ctrl+Shift+I' }]
    : [];

  return [
    {
      label: '&File',
      submenu: [...actionItems('File'), { type: 'separator' }, { role: 'quit', label: 'Quit', accelerator: 'Ctrl+Q' }],
    },
    {
      label: '&Edit',
      submenu: [
        { role: 'undo', accelerator: 'Ctrl+Z' },
        { role: 'redo', accelerator: 'Ctrl+Shift+Z' },
        { type: 'separator' },
        { role: 'cut', accelerator: 'Ctrl+X' },
        { role: 'copy', accelerator: 'Ctrl+C' },
        { role: 'paste', accelerator: 'Ctrl+V' },
        { role: 'selectAll', accelerator: 'Ctrl+A' },
      ],
    },
    {
      label: '&View',
      submenu: [
        ...actionItems('View'),
        { type: 'separator' },
        { role: 'reload', accelerator: 'Ctrl+R' },
        { role: 'resetZoom', accelerator: 'Ctrl+0' },
        { role: 'zoomIn', accelerator: 'Ctrl+=' },
        { role: 'zoomOut', accelerator: 'Ctrl+-' },
        { type: 'separator' },
        { role: 'togglefullscreen', accelerator: 'F11' },
        ...devItems,
      ],
    },
  ];
}
