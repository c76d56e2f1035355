import type { ReactNode } from 'react';

/** A whole-window message for when the inspector cannot run at all. */
export function ErrorScreen({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="error-screen" data-testid="error-screen" role="alert">
      <h1>{title}</h1>
      <p>{children}</p>
    </main>
  );
}
