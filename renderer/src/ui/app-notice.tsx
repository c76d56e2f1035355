import { useState } from 'react';

/**
 * What the shell wants the user to know from start-up (InspectorInit.notice,
 * e.g. the settings file was unusable and replaced): a banner under the
 * server bar until dismissed. The text is shown as React text only.
 */
export function AppNotice({ text }: { text: string }) {
  const [open, setOpen] = useState(true);
  if (!open) return null;
  return (
    <div className="app-notice" data-testid="app-notice" role="status">
      <span className="app-notice-text">{text}</span>
      <button type="button" data-testid="app-notice-dismiss" onClick={() => setOpen(false)}>Dismiss</button>
    </div>
  );
}
