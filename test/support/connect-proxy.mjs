// A minimal HTTP CONNECT proxy for tests: `node connect-proxy.mjs PORT LOGFILE`. Each tunnel's
// target is appended to LOGFILE; the tunnel itself is plain TCP, so TLS stays end to end.
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const [port, log] = process.argv.slice(2);
const server = http.createServer((_request, response) => response.writeHead(405).end());
server.on('connect', (request, client, head) => {
  appendFileSync(log, `${request.url}\n`);
  const [host, targetPort] = request.url.split(':');
  const upstream = net.connect(Number(targetPort), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
server.listen(Number(port), '127.0.0.1', () => appendFileSync(log, 'listening\n'));
