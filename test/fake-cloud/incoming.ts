/** An HTTP request read completely, with its query and form body decoded. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface IncomingRequest {
  method: string;
  path: string;
  query: Map<string, string>;
  /** The query with every value of a repeated parameter (a token request may carry several `scope`). */
  searchParams: URLSearchParams;
  /** Parameters of an application/x-www-form-urlencoded body. */
  form: Map<string, string>;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The Host header as received (it is part of the V3 signature). */
  hostHeader: string;
  /** Host name in lower case, without the port: what the fake routes on. */
  hostName: string;
}

const MAX_BODY_BYTES = 1 << 20;

function toMap(params: URLSearchParams): Map<string, string> {
  return new Map(params.entries());
}

export async function readIncoming(req: IncomingMessage): Promise<IncomingRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const contentType = req.headers['content-type'] ?? '';
  const form = contentType.startsWith('application/x-www-form-urlencoded') ? toMap(new URLSearchParams(body.toString('utf8'))) : new Map<string, string>();
  const hostHeader = req.headers.host ?? '';
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: toMap(url.searchParams),
    searchParams: url.searchParams,
    form,
    headers: req.headers,
    body,
    hostHeader,
    hostName: hostHeader.replace(/:\d+$/, '').toLowerCase(),
  };
}

/** A request header's first value. */
export function headerOf(req: IncomingRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
