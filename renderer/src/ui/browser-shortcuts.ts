/**
 * The shortcuts the desktop app's menu provides (main/menu-template.ts
 * ACTION_ITEMS), as in-page keys for browser mode, where there is no native
 * menu. Ctrl+K and Ctrl+F are not here: app.tsx handles them in the page in
 * both modes. Only used when InspectorInit.mode is 'browser', so on desktop
 * the menu's accelerator is the only thing that acts on a key.
 */
import type { InspectorAction } from '../../../common/inspector-api';

/** A keydown as far as shortcut matching reads it. */
export interface ShortcutKey {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Same keys as the desktop menu's accelerators (Ctrl, or ⌘ on a Mac). */
export const BROWSER_SHORTCUTS: readonly { label: string; shift: boolean; alt: boolean; key: string; action: InspectorAction }[] = [
  { label: 'Ctrl+Shift+C', shift: true, alt: false, key: 'c', action: 'copy-url' },
  { label: 'Ctrl+Alt+C', shift: false, alt: true, key: 'c', action: 'copy-curl' },
  { label: 'Ctrl+E', shift: false, alt: false, key: 'e', action: 'edit-response' },
];

/** The action of a browser-mode shortcut, or null when the key is not one. */
export function browserShortcut(e: ShortcutKey): InspectorAction | null {
  if (!(e.ctrlKey || e.metaKey)) return null;
  const key = e.key.toLowerCase();
  const hit = BROWSER_SHORTCUTS.find((s) => s.key === key && s.shift === e.shiftKey && s.alt === e.altKey);
  return hit ? hit.action : null;
}
