/**
 * `sockeye serve`: run the engine in this process, print every captured
 * request on stdout, stop cleanly on SIGINT/SIGTERM.
 *
 * Output contract: stdout gets exactly `listening on http://HOST:PORT` once the
 * listener is open, then one line (or one JSON object) per request and nothing
 * else; problems go to stderr, one line each.
 *
 * With --ui, line 2 is `inspector on http://UIHOST:UIPORT/?secret=HEX` (the
 * only place the secret is ever printed), then the request lines as without
 * it; requests to the inspector are never captured nor printed. The page may
 * move the capture listener; the new address shows in the page, not on stdout.
 * A one-time open ticket in $SOCKEYE_UI_OPEN_TICKET (from `npm start`, which
 * opens the browser with it instead of the secret) is accepted once; the
 * variable is removed from this process's environment either way.
 */
import type { ListenSettings } from '../common/app-settings';
import type { CannedResponse } from '../common/canned-response';
import { decodeRecordBatch, type RecordBatch } from '../common/record-batch';
import { SyscallError } from '../native-bridge';
import { callbackSink } from '../server/capture-sink';
import { Engine, EngineConfigError } from '../server/engine';
import type { ServeOptions } from './args';
import { CliError, EXIT_RUNTIME, EXIT_USAGE, oneLine } from './cli-error';
import { formatHostPort, formatListening, formatRecordJson, formatRecordLine, type LineStyle } from './format';
import { buildResponse, readResponseFile } from './response';
import { checkRendererBuilt, Inspector, rendererRoot, takeOpenTicket } from './ui/serve-ui';

/** Ports below this need privileges on Linux (net.ipv4.ip_unprivileged_port_start default). */
const PRIVILEGED_PORT_LIMIT = 1024;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** Exit status for a second signal while stopping: 128 + signal number, as a shell reports it. */
const SIGNAL_EXIT: Record<(typeof STOP_SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };

/** The response file (if any) and the flags, merged and validated; throws CliError. */
function resolveResponse(options: ServeOptions): CannedResponse {
  let fromFile: unknown = undefined;
  if (options.responseFile !== null) {
    const read = readResponseFile(options.responseFile);
    if (!read.ok) throw new CliError(read.error, EXIT_RUNTIME);
    fromFile = read.value;
  }
  const built = buildResponse(fromFile, options, options.responseFile);
  if (!built.ok) throw new CliError(built.error, built.origin === 'file' ? EXIT_RUNTIME : EXIT_USAGE);
  return built.value;
}

/** Turn a failure of Engine.start into the one line the user sees. */
function describeStartError(err: unknown, host: string, port: number): CliError | null {
  if (err instanceof EngineConfigError) return new CliError(err.message, EXIT_USAGE);
  if (!(err instanceof SyscallError)) return null;
  const where = formatHostPort(host, port);
  switch (err.code) {
    case 'EADDRINUSE':
      return new CliError(`port ${port} on ${host} is already in use (EADDRINUSE)`, EXIT_RUNTIME);
    case 'EACCES':
      return new CliError(
        `permission denied to listen on ${where} (EACCES)` +
          (port < PRIVILEGED_PORT_LIMIT ? `; ports below ${PRIVILEGED_PORT_LIMIT} need root or CAP_NET_BIND_SERVICE` : ''),
        EXIT_RUNTIME,
      );
    case 'EADDRNOTAVAIL':
      return new CliError(`address ${host} is not on this machine (EADDRNOTAVAIL)`, EXIT_RUNTIME);
    case 'EAFNOSUPPORT':
      return new CliError(`cannot listen on ${where}: this system has no IPv6 (EAFNOSUPPORT)`, EXIT_RUNTIME);
    default:
      return new CliError(`cannot listen on ${where}: ${err.syscall} failed (${err.code})`, EXIT_RUNTIME);
  }
}

const reportInternalError = (err: unknown): void => {
  process.stderr.write(`sockeye: internal error: ${oneLine(String(err))}\n`);
};

/**
 * Serve until SIGINT or SIGTERM (or until stdout is closed by its reader),
 * then stop the engine, which delivers and prints the last records, and
 * resolve. A second signal while stopping exits at once. Throws CliError for
 * a bad response or a listener that cannot be opened; nothing is left open
 * after a throw.
 */
export async function serve(options: ServeOptions): Promise<void> {
  // Taken (and removed from process.env, so nothing started from here inherits it) before anything else.
  const openTicket = takeOpenTicket();
  const response = resolveResponse(options);
  // Before anything is opened: an unbuilt inspector is a setup problem, not a runtime one.
  if (options.ui) checkRendererBuilt(rendererRoot());
  const style: LineStyle = { color: process.stdout.isTTY === true && !process.env.NO_COLOR };
  let outputClosed = false;
  let inspector: Inspector | null = null;

  const deliver = (batch: RecordBatch): void => {
    inspector?.publishBatch(batch);
    if (outputClosed) return;
    let text = '';
    for (const r of decodeRecordBatch(batch)) text += `${options.json ? formatRecordJson(r) : formatRecordLine(r, style)}\n`;
    if (text) process.stdout.write(text);
  };

  /** A capture engine with the command line's limits; every one (the page may start others) prints and feeds. */
  const startCapture = (listen: ListenSettings, withResponse: CannedResponse): Engine => Engine.start({
    listen: [{ host: listen.host, port: listen.port }],
    response: withResponse,
    captureBodyBytes: options.captureBodyBytes,
    headTimeoutMs: options.headTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
    sink: callbackSink(deliver),
    onInternalError: reportInternalError,
  });

  let engine: Engine;
  try {
    engine = startCapture({ host: options.host, port: options.port }, response);
  } catch (err) {
    throw describeStartError(err, options.host, options.port) ?? err;
  }

  if (options.ui) {
    try {
      inspector = Inspector.start({
        uiHost: options.uiHost,
        uiPort: options.uiPort,
        feedBytesPerSecond: options.uiFeedRateKiB * 1024,
        capture: engine,
        response,
        host: {
          start: startCapture,
          describeError: (err, listen) => ({
            message: describeStartError(err, listen.host, listen.port)?.message ?? oneLine(String(err)),
            code: err instanceof SyscallError ? err.code : null,
          }),
        },
        onInternalError: reportInternalError,
        openTicket,
      });
    } catch (err) {
      await engine.stop();
      const described = describeStartError(err, options.uiHost, options.uiPort);
      throw described ? new CliError(`inspector: ${described.message}`, described.exitCode) : err;
    }
  }

  let stopping = false;
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => { requestStop = resolve; });
  const onSignal = (signal: (typeof STOP_SIGNALS)[number]): void => {
    if (stopping) process.exit(SIGNAL_EXIT[signal]);
    stopping = true;
    requestStop();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // A reader that went away (`sockeye serve | head -3`) ends the session quietly, like SIGPIPE would.
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    outputClosed = true;
    if (err.code !== 'EPIPE') process.stderr.write(`sockeye: cannot write to stdout: ${err.code ?? oneLine(err.message)}\n`);
    stopping = true;
    requestStop();
  };
  process.stdout.on('error', onStdoutError);

  try {
    process.stdout.write(`${formatListening(engine.listeners[0]!)}\n`);
    if (inspector) {
      process.stdout.write(`inspector on ${inspector.url}\n`);
      if (inspector.exposed) {
        process.stderr.write(`sockeye: warning: the inspector listens on ${options.uiHost}, which other machines can reach; ` +
          'anyone with its URL can read the captured traffic and change the response\n');
      }
    }
    await stopRequested;
  } finally {
    // The inspector stops the capture engine it runs (the page may have replaced the first one).
    if (inspector) await inspector.stop();
    else await engine.stop();
  }
}
