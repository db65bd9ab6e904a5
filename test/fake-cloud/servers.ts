/** The listening sockets: IMDS over HTTP on 100.100.100.200:80, the APIs over HTTPS on 127.0.0.1:443. */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { serveExchange, type ExchangeContext, type FakeService } from './exchange.js';

const IMDS_ADDRESS = '100.100.100.200';
const API_ADDRESS = '127.0.0.1';

/** Which service a Host belongs to: CR on cr[-vpc].<region>, STS on sts[.<region>] and sts-vpc.<region>. */
function apiServiceFor(hostName: string, cr: FakeService, sts: FakeService): FakeService | undefined {
  if (/^cr(?:-vpc)?\.[a-z0-9-]+\.aliyuncs\.com$/.test(hostName)) return cr;
  if (/^sts(?:(?:-vpc)?\.[a-z0-9-]+)?\.aliyuncs\.com$/.test(hostName)) return sts;
  return undefined;
}

function handler(route: (hostName: string) => FakeService | undefined, context: ExchangeContext): http.RequestListener {
  return (req, res) => {
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    serveExchange(req, res, route(hostName), context).catch((error: unknown) => {
      process.stderr.write(`fake-cloud: request failed: ${String(error)}\n`);
      res.destroy();
    });
  };
}

export async function listenImds(imds: FakeService, context: ExchangeContext): Promise<http.Server> {
  const server = http.createServer(handler(() => imds, context));
  server.listen(80, IMDS_ADDRESS);
  await once(server, 'listening');
  return server;
}

export async function listenApis(tls: { key: Buffer; cert: Buffer }, cr: FakeService, sts: FakeService, context: ExchangeContext): Promise<https.Server> {
  const server = https.createServer(tls, handler((hostName) => apiServiceFor(hostName, cr, sts), context));
  server.listen(443, API_ADDRESS);
  await once(server, 'listening');
  return server;
}
