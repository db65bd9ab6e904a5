/**
 * The control API, HTTP over a unix socket: the socket file is reachable from outside the
 * network namespace, which is how tests drive the fake cloud.
 *
 *   GET /requests · DELETE /requests · POST /faults · DELETE /faults · GET /tokens
 *   POST /run · POST /background · POST /background/stop · POST /shutdown
 */
import { once } from 'node:events';
import http from 'node:http';
import { assertFault, type FaultTable } from './faults.js';
import type { IssuedTokens } from './issued-tokens.js';
import type { RequestLog } from './request-log.js';
import { runCommand, startBackground, stopBackground, type RunRequest, type StartRequest } from './runner.js';

export interface ControlContext {
  log: RequestLog;
  faults: FaultTable;
  issued: IssuedTokens;
  shutdown: () => void;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

/** What a run and a background start share: argv, env and cwd. */
function isCommand<T extends Partial<Pick<RunRequest, 'argv' | 'env' | 'cwd'>>>(r: T | null): r is T & Pick<RunRequest, 'argv' | 'env' | 'cwd'> {
  return (
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.argv) &&
    r.argv.length > 0 &&
    r.argv.every((a) => typeof a === 'string') &&
    typeof r.env === 'object' &&
    r.env !== null &&
    Object.values(r.env).every((v) => typeof v === 'string') &&
    typeof r.cwd === 'string'
  );
}

function assertRunRequest(value: unknown): asserts value is RunRequest {
  const r = value as Partial<RunRequest> | null;
  const ok = isCommand(r) && typeof r.timeoutMs === 'number' && (r.stdinBase64 === undefined || typeof r.stdinBase64 === 'string');
  if (!ok) throw new Error('invalid run request');
}

function assertStartRequest(value: unknown): asserts value is StartRequest {
  const r = value as Partial<StartRequest> | null;
  const ok = isCommand(r) && typeof r.readyTimeoutMs === 'number' && typeof r.ready?.source === 'string' && typeof r.ready.flags === 'string';
  if (!ok) throw new Error('invalid background start request');
}

async function route(req: http.IncomingMessage, context: ControlContext): Promise<unknown> {
  const key = `${req.method} ${req.url}`;
  switch (key) {
    case 'GET /requests':
      return context.log.list();
    case 'DELETE /requests':
      context.log.clear();
      return {};
    case 'POST /faults': {
      const fault = await readJson(req);
      assertFault(fault);
      context.faults.add(fault);
      return {};
    }
    case 'DELETE /faults':
      context.faults.clear();
      return {};
    case 'GET /tokens':
      return context.issued.list();
    case 'POST /run': {
      const run = await readJson(req);
      assertRunRequest(run);
      return runCommand(run);
    }
    case 'POST /background': {
      const start = await readJson(req);
      assertStartRequest(start);
      return startBackground(start);
    }
    case 'POST /background/stop': {
      const { pid } = ((await readJson(req)) ?? {}) as { pid?: unknown };
      if (typeof pid !== 'number') throw new Error('invalid background stop request');
      return stopBackground(pid);
    }
    case 'POST /shutdown':
      setImmediate(context.shutdown);
      return {};
    default:
      throw Object.assign(new Error(`no such control endpoint: ${key}`), { status: 404 });
  }
}

export async function listenControl(socketPath: string, context: ControlContext): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    route(req, context).then(
      (result) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      },
      (error: Error & { status?: number }) => {
        res.writeHead(error.status ?? 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error.message }));
      },
    );
  });
  // A run may take as long as its own timeout; do not let the server cut it short.
  server.requestTimeout = 0;
  server.listen(socketPath);
  await once(server, 'listening');
  return server;
}
