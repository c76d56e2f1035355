import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MenuItemConstructorOptions } from 'electron';
import type { InspectorAction } from '../common/inspector-api';
import { isInspectorAction } from '../common/ipc-channels';
import { buildMenuTemplate } from './menu-template';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}

const ALL_ACTIONS: InspectorAction[] = ['clear', 'focus-filter', 'copy-url', 'copy-curl', 'edit-response'];

for (const devTools of [false, true]) {
  test(`menu (devTools ${devTools}): accelerators are unique and every action is wired to its item`, () => {
    const sent: InspectorAction[] = [];
    const items = flatten(buildMenuTemplate({ dispatch: (a) => sent.push(a), devTools }));
    const accelerators = items.map((i) => i.accelerator).filter((a): a is string => typeof a === 'string');
    assert.equal(new Set(accelerators.map((a) => a.toLowerCase())).size, accelerators.length, `duplicates in ${accelerators.join(', ')}`);
    // Every clickable item sends exactly one action; together they cover every action once.
    for (const item of items.filter((i) => i.click)) {
      const before = sent.length;
      (item.click as () => void)();
      assert.equal(sent.length, before + 1, `${item.label} sends one action`);
      assert.ok(item.accelerator, `${item.label} has a shortcut`);
    }
    assert.deepEqual([...sent].sort(), [...ALL_ACTIONS].sort());
    assert.ok(sent.every(isInspectorAction));
    const roles = items.map((i) => i.role).filter(Boolean);
    assert.ok(roles.includes('quit') && roles.includes('copy') && roles.includes('paste') && roles.includes('reload'));
    assert.equal(roles.includes('toggleDevTools'), devTools, 'devtools only in development');
    assert.equal(items.find((i) => i.role === 'quit')?.accelerator, 'Ctrl+Q');
  });
}
