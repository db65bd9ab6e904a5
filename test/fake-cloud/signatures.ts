/**
 * Server side of the two request signatures Alibaba Cloud SDKs use (reference §5.5):
 * V3 `ACS3-HMAC-SHA256` (Authorization header) and RPC V1 `HMAC-SHA1` (Signature parameter).
 * Each function rebuilds the string to sign from what was received, so a mismatch can
 * be reported the way the gateway does (it echoes its own string to sign).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** encodeURIComponent plus the characters RFC 3986 reserves but it leaves alone. */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface V3Authorization {
  accessKeyId: string;
  signedHeaders: string;
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<a;b>,Signature=<hex>`. */
export function parseV3Authorization(header: string): V3Authorization | undefined {
  const match = /^ACS3-HMAC-SHA256\s+(.*)$/.exec(header.trim());
  if (!match?.[1]) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || signedHeaders === undefined || !signature) return undefined;
  return { accessKeyId, signedHeaders, signature };
}

function headerValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim();
}

/** The headers V3 signs: host, content-type and every x-acs-* header, by lower-case name. */
function v3SignedHeaderNames(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers)
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort();
}

export interface V3Request {
  method: string;
  path: string;
  /** Decoded query parameters. */
  query: Map<string, string>;
  headers: IncomingHttpHeaders;
}

export function v3StringToSign(request: V3Request, hashedPayload: string): string {
  const canonicalQuery = [...request.query.keys()]
    .sort()
    .map((key) => `${key}=${percentEncode(request.query.get(key) ?? '')}`)
    .join('&');
  const names = v3SignedHeaderNames(request.headers);
  const canonicalHeaders = names.map((name) => `${name}:${headerValue(request.headers[name])}\n`).join('');
  const canonicalRequest = [request.method, request.path, canonicalQuery, canonicalHeaders, names.join(';'), hashedPayload].join('\n');
  return `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
}

export function v3Signature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
}

/** RPC V1 string to sign over all query and form parameters except Signature. */
export function rpcStringToSign(method: string, params: Map<string, string>): string {
  const canonical = [...params.keys()]
    .filter((key) => key !== 'Signature')
    .sort()
    .map((key) => `${percentEncode(key)}=${percentEncode(params.get(key) ?? '')}`)
    .join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

export function rpcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}
