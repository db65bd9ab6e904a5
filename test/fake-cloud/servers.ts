/**
 * The listening sockets: IMDS over HTTP on 100.100.100.200:80, the APIs and the registry token
 * service over HTTPS on 127.0.0.1:443 (other loopback addresses stay free, e.g. for a test's registry).
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { isPersonalEditionRequest } from './cr-personal.js';
import { serveExchange, type ExchangeContext, type FakeService, type ServiceRouter } from './exchange.js';
import { crEndpointRegion, dockerAuthRegion } from './regions.js';

const IMDS_ADDRESS = '100.100.100.200';
const API_ADDRESS = '127.0.0.1';

export interface ApiServices {
  crEnterprise: FakeService;
  crPersonal: FakeService;
  sts: FakeService;
  registryToken: FakeService;
}

/**
 * Which service a request belongs to: CR on cr[-vpc].<region> (both editions share the hosts;
 * Personal Edition calls are told apart by API version or path), STS on sts[.<region>] and sts-vpc.<region>,
 * the registry token service on dockerauth-ee.<region>.
 */
function apiRouter(services: ApiServices): ServiceRouter {
  return (req) => {
    if (crEndpointRegion(req.hostName) !== undefined) return isPersonalEditionRequest(req) ? services.crPersonal : services.crEnterprise;
    if (/^sts(?:(?:-vpc)?\.[a-z0-9-]+)?\.aliyuncs\.com$/.test(req.hostName)) return services.sts;
    if (dockerAuthRegion(req.hostName) !== undefined) return services.registryToken;
    return undefined;
  };
}

function handler(route: ServiceRouter, context: ExchangeContext): http.RequestListener {
  return (req, res) => {
    serveExchange(req, res, route, context).catch((error: unknown) => {
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

export async function listenApis(tls: { key: Buffer; cert: Buffer }, services: ApiServices, context: ExchangeContext): Promise<https.Server> {
  const server = https.createServer(tls, handler(apiRouter(services), context));
  server.listen(443, API_ADDRESS);
  await once(server, 'listening');
  return server;
}
