/**
 * One request/response exchange with a fake service: read the request, let a matching
 * fault act on it, let the service answer, write the answer and log it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultService, FaultTable } from './faults.js';
import { ApiFailure, failureReply } from './gateway.js';
import { readIncoming, type IncomingRequest } from './incoming.js';
import { jsonReply, type Reply } from './reply.js';
import type { LoggedAuth, LoggedRequest, RequestLog } from './request-log.js';

/** What the log records about a request, known before it is authenticated. */
export interface RequestFacts {
  action?: string;
  version?: string;
  params: Record<string, string>;
  auth: LoggedAuth;
  accessKeyId?: string;
}

export interface Handled {
  reply: Reply;
  /** Who the request was authenticated as. */
  principal?: string;
}

export interface FakeService {
  name: FaultService;
  /** Product name in the gateway's `Recommend` link. */
  product: string;
  describe(req: IncomingRequest): RequestFacts;
  /** Answers the request; `fault` is passed for the kinds that change a normal answer (expired-token, not-success). */
  handle(req: IncomingRequest, facts: RequestFacts, fault: Fault | undefined): Promise<Handled>;
}

export interface ExchangeContext {
  log: RequestLog;
  faults: FaultTable;
}

/** A 'slow' fault without delayMs waits longer than the SDKs' 3 s default read timeout. */
const DEFAULT_SLOW_MS = 5000;

const HTML_503 =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n';

async function answer(service: FakeService, req: IncomingRequest, facts: RequestFacts, fault: Fault | undefined): Promise<Handled> {
  switch (fault?.kind) {
    case 'throttle':
      return { reply: failureReply(new ApiFailure(400, 'Throttling.User', 'Request was denied due to user flow control.'), req.hostName, service.product) };
    case 'server-error':
      return {
        reply: failureReply(
          new ApiFailure(500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'),
          req.hostName,
          service.product,
        ),
      };
    case 'html-503':
      return { reply: { status: 503, headers: { 'content-type': 'text/html' }, body: HTML_503 } };
    case 'slow':
      await sleep(fault.delayMs ?? DEFAULT_SLOW_MS);
      return service.handle(req, facts, undefined);
    case 'truncated-json': {
      const handled = await service.handle(req, facts, undefined);
      const text = handled.reply.body.toString();
      return { ...handled, reply: { status: 200, headers: { 'content-type': 'application/json;charset=utf-8' }, body: text.slice(0, Math.floor(text.length / 2)) } };
    }
    case 'garbage': {
      const handled = await service.handle(req, facts, undefined);
      // A 0xff byte first: never valid UTF-8 nor JSON.
      return { ...handled, reply: { status: 200, headers: { 'content-type': 'application/json;charset=utf-8' }, body: Buffer.concat([Buffer.from([0xff]), randomBytes(31)]) } };
    }
    default:
      return service.handle(req, facts, fault);
  }
}

/** Picks the service for a request; undefined when the Host is not one the fake answers. */
export type ServiceRouter = (req: IncomingRequest) => FakeService | undefined;

/** Serves one HTTP request with the service `route` picks for it. */
export async function serveExchange(httpReq: IncomingMessage, httpRes: ServerResponse, route: ServiceRouter, context: ExchangeContext): Promise<void> {
  const time = new Date().toISOString();
  const req = await readIncoming(httpReq);
  const service = route(req);
  const facts: RequestFacts = service ? service.describe(req) : { params: {}, auth: 'none' };
  const entry: LoggedRequest = { service: service?.name ?? 'unknown', host: req.hostHeader, method: req.method, path: req.path, ...facts, status: 0, time };

  if (!service) {
    // Made-up code: a real client could not even resolve a host the fake does not serve.
    const reply = failureReply(new ApiFailure(404, 'InvalidHost.NotFound', `Host ${req.hostName} is not served by the fake cloud.`), req.hostName, 'unknown');
    context.log.record({ ...entry, status: reply.status, errorCode: reply.errorCode });
    write(httpRes, reply);
    return;
  }

  const fault = context.faults.take(service.name, facts.action, facts.version);
  if (fault) entry.fault = fault.kind;
  if (fault?.kind === 'reset') {
    context.log.record(entry);
    httpReq.socket.destroy();
    return;
  }
  let handled: Handled;
  try {
    handled = await answer(service, req, facts, fault);
  } catch (error) {
    process.stderr.write(`fake-cloud: ${service.name} handler failed: ${(error as Error).stack ?? String(error)}\n`);
    handled = { reply: jsonReply(500, { Code: 'InternalError', Message: 'fake-cloud handler crashed' }, 'InternalError') };
  }
  context.log.record({ ...entry, principal: handled.principal, status: handled.reply.status, errorCode: handled.reply.errorCode });
  write(httpRes, handled.reply);
}

function write(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}
