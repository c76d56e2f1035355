/**
 * Reference server for `npm run bench`: Node's own `http` answering the same
 * hello world as the engine and the C server. Benchmarks may use node:http;
 * product code never does.
 *
 * Usage: node node-http-server.js <port>   (0 picks a free port)
 * Prints "listening <port>" on stdout once bound to 127.0.0.1.
 */
import * as http from 'node:http';

const BODY = Buffer.from('hello world\n', 'utf8');
const HOST = '127.0.0.1';

const port = Number(process.argv[2] ?? '0');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`usage: node-http-server <port>\n`);
  process.exit(2);
}

const server = http.createServer((_req, res) => {
  // Same headers as the other servers: no Date. Node still adds Connection/Keep-Alive.
  res.sendDate = false;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
});
// The default keep-alive timeout (5 s) would drop idle wrk connections between runs.
server.keepAliveTimeout = 60_000;

server.listen(port, HOST, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    process.stderr.write('node-http-server: no TCP address\n');
    process.exit(1);
  }
  process.stdout.write(`listening ${address.port}\n`);
});

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
