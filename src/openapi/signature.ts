import { createHash, createHmac } from 'node:crypto';

/** An HTTP request as ACS3-HMAC-SHA256 signs it. */
export interface RequestToSign {
  method: string;
  pathname: string;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body (x-acs-content-sha256). */
  hashedPayload: string;
}

/** Percent-encoding of Alibaba Cloud signatures: encodeURIComponent plus ! ' ( ) *. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The query string, keys sorted, values encoded: the same text goes on the wire and into the signature. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${key}=${percentEncode(query[key] as string)}`)
    .join('&');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The Authorization header of Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256): the signed
 * headers are host, content-type and every x-acs-* header; the string to sign is the
 * algorithm and the hex SHA-256 of the canonical request; the key is the AccessKey secret.
 */
export function authorization(request: RequestToSign, accessKeyId: string, accessKeySecret: string): string {
  const signed = Object.keys(request.headers)
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort();
  const canonicalHeaders = signed.map((name) => `${name}:${(request.headers[name] as string).trim()}\n`).join('');
  const canonicalRequest = [request.method, request.pathname, canonicalQuery(request.query), canonicalHeaders, signed.join(';'), request.hashedPayload].join('\n');
  const signature = createHmac('sha256', accessKeySecret).update(`ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`).digest('hex');
  return `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
}
