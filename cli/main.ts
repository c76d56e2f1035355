/**
 * Entry point of the `sockeye` command (bin/sockeye.js calls run()).
 *
 * Contract: every failure ends as ONE line on stderr starting with
 * `sockeye: `, never a stack trace; exit 0 on success, 2 for a usage error,
 * 1 for a runtime error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN_HELP, SERVE_HELP, parseArgs } from './args';
import { CliError, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, oneLine } from './cli-error';

/** package.json relative to build/cli/main.js. */
const PACKAGE_JSON = join(__dirname, '..', '..', 'package.json');

function version(): string {
  try {
    const v = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

function printError(message: string): void {
  process.stderr.write(`sockeye: ${message}\n`);
}

/** The one line for an error nobody anticipated (a bug, the FFI library failing to load). */
function describeUnexpected(err: unknown): string {
  return oneLine(err instanceof Error ? err.message || err.name : String(err)) || 'unexpected error';
}

/** Run one command and return the exit code. Never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    printError(parsed.error);
    return EXIT_USAGE;
  }
  const command = parsed.value;
  try {
    switch (command.command) {
      case 'help':
        process.stdout.write(command.topic === 'serve' ? SERVE_HELP : MAIN_HELP);
        return EXIT_OK;
      case 'version':
        process.stdout.write(`sockeye ${version()}\n`);
        return EXIT_OK;
      case 'serve': {
        // Loaded only here so help, version and usage errors never load the FFI library.
        const { serve } = await import('./serve.js');
        await serve(command.options);
        return EXIT_OK;
      }
    }
  } catch (err) {
    if (err instanceof CliError) {
      printError(err.message);
      return err.exitCode;
    }
    printError(describeUnexpected(err));
    return EXIT_RUNTIME;
  }
}

/**
 * Run with the process's arguments and exit with the command's code. Exits
 * explicitly: stdout and stderr writes are synchronous for files, pipes and
 * terminals on Linux, so nothing printed is lost, and no stray handle can keep
 * a stopped server alive.
 */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  const fatal = (err: unknown): void => {
    printError(`internal error: ${describeUnexpected(err)}`);
    process.exit(EXIT_RUNTIME);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  void main(argv).then((code) => process.exit(code), fatal);
}

if (require.main === module) run();
