/**
 * A problem the CLI reports as one line on stderr (`sockeye: <message>`)
 * followed by an exit with `exitCode`: 2 for a usage error (the command line
 * is wrong), 1 for a runtime error (a file, the port, the system).
 */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: typeof EXIT_RUNTIME | typeof EXIT_USAGE) {
    super(message);
    this.name = 'CliError';
  }
}

/** Any text squeezed onto one line (error messages from elsewhere may span several). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
