import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { ProviderError } from '../errors.js';
import { runDeadline } from '../resilience/deadline.js';
import { withRetries } from '../resilience/retry.js';
import type { Credentials } from '../identity/credentials.js';
import { VERSION } from '../version.js';
import { authorization, canonicalQuery, sha256Hex } from './signature.js';

/** One Alibaba Cloud OpenAPI operation, described the way the generated SDK clients describe it (their Params). */
export interface ApiOperation {
  /** Host name of the API endpoint, e.g. cr.cn-hangzhou.aliyuncs.com. */
  endpoint: string;
  action: string;
  version: string;
  method: 'GET' | 'POST';
  pathname: string;
  query?: Record<string, string>;
}

/** Which endpoints the API calls use: public, or the VPC ones reachable only inside Alibaba Cloud. */
export type ApiNetwork = 'public' | 'vpc';

/** The regional endpoint of a product: cr.cn-hangzhou.aliyuncs.com, sts-vpc.cn-shanghai.aliyuncs.com. */
export function regionalEndpoint(product: 'cr' | 'sts', regionId: string, network: ApiNetwork): string {
  return `${product}${network === 'vpc' ? '-vpc' : ''}.${regionId}.aliyuncs.com`;
}

/** A failed API call: the service's error code and what the gateway said. */
export class ApiError extends ProviderError {
  constructor(
    readonly operation: ApiOperation,
    /** The service's error code (`Forbidden.RAM`, `Throttling.User`, …), or a network error code. */
    readonly code: string,
    readonly statusCode: number | undefined,
    readonly serviceMessage: string,
    options: { retryable: boolean; requestId?: string; hint?: string; message?: string },
  ) {
    super(options.message ?? `${operation.action} on ${operation.endpoint} failed: ${code}${statusCode ? ` (HTTP ${statusCode})` : ''}${serviceMessage ? `: ${serviceMessage}` : ''}`, options);
    this.name = 'ApiError';
  }
}

const EMPTY_BODY_SHA256 = sha256Hex('');
/** Error bodies are small; anything larger is not an API answer. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One agent for the run: it keeps the connection to an endpoint for the run's few calls, and
 * tunnels through HTTPS_PROXY (honouring NO_PROXY) when the environment names one, as the
 * kubelet's CredentialProviderConfig `env` can set it (Node's proxyEnv).
 */
const agent = new https.Agent({ keepAlive: true, proxyEnv: process.env } as https.AgentOptions);

/**
 * Signs one operation with the V3 signature (ACS3-HMAC-SHA256, the Alibaba Cloud SDKs'
 * default, checked against the SDK's own signer in signature.test.ts), sends it over HTTPS
 * with the run's timeouts and retries, and returns the JSON body. Without credentials the
 * call is anonymous (AssumeRoleWithOIDC). Every failure becomes an ApiError; an HTTP 200
 * whose body says IsSuccess:false is left to the caller, which knows the API.
 *
 * The SDK (@alicloud/openapi-client) did the same, but loading it cost a cold run ~57 ms and
 * ~21 MiB, more than all of the provider's own work (BENCHMARKS.md, issue 7).
 */
export async function callApi(credentials: Credentials | undefined, operation: ApiOperation): Promise<Record<string, unknown>> {
  return withRetries(`${operation.action} on ${operation.endpoint}`, async () => {
    let response: HttpResponse;
    try {
      response = await send(credentials, operation, runDeadline().requestBudgetMs());
    } catch (error) {
      throw networkError(operation, error as NodeJS.ErrnoException);
    }
    return answerOf(operation, response, credentials);
  });
}

interface HttpResponse {
  status: number;
  body: string;
}

function send(credentials: Credentials | undefined, operation: ApiOperation, timeoutMs: number): Promise<HttpResponse> {
  const query = operation.query ?? {};
  const headers: Record<string, string> = {
    host: operation.endpoint,
    'x-acs-action': operation.action,
    'x-acs-version': operation.version,
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
    accept: 'application/json',
    'user-agent': `aliyun-acr-credential-provider/${VERSION}`,
  };
  if (credentials?.securityToken) headers['x-acs-security-token'] = credentials.securityToken;
  if (credentials) {
    headers.authorization = authorization(
      { method: operation.method, pathname: operation.pathname, query, headers, hashedPayload: EMPTY_BODY_SHA256 },
      credentials.accessKeyId,
      credentials.accessKeySecret,
    );
  }
  // Every parameter travels in the query; the body is empty.
  if (operation.method === 'POST') headers['content-length'] = '0';
  const search = canonicalQuery(query);
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: operation.endpoint, port: 443, method: operation.method, path: search ? `${operation.pathname}?${search}` : operation.pathname, headers, agent, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) request.destroy(Object.assign(new Error('the answer is larger than 1 MiB'), { code: 'EMSGSIZE' }));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end();
  });
}

/** The JSON body of a successful answer, or the ApiError an error answer stands for. */
function answerOf(operation: ApiOperation, response: HttpResponse, credentials: Credentials | undefined): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    // A proxy's HTML error page, or an answer cut short.
    throw new ApiError(operation, 'InvalidResponse', response.status, 'the endpoint answered with a body that is not JSON', { retryable: true });
  }
  const data = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  if (response.status >= 200 && response.status < 300) {
    if (data !== body) throw new ApiError(operation, 'InvalidResponse', response.status, 'the response body is not a JSON object', { retryable: true });
    return data;
  }
  // Enterprise Edition and STS errors use Code/Message/RequestId, Personal Edition lower case.
  const text = (upper: string, lower: string) => (typeof data[upper] === 'string' ? (data[upper] as string) : typeof data[lower] === 'string' ? (data[lower] as string) : undefined);
  const code = text('Code', 'code') ?? `HTTP${response.status}`;
  const requestId = text('RequestId', 'requestId');
  const serviceMessage = text('Message', 'message') ?? '';
  if (credentials && /^InvalidAccessKeyId|^SignatureDoesNotMatch|^InvalidSecurityToken|^MissingSecurityToken|^InvalidTimeStamp/.test(code)) {
    throw new ApiError(operation, code, response.status, serviceMessage, {
      retryable: false,
      requestId,
      message: `${operation.endpoint} rejected the credentials of ${credentials.principal} (${code})`,
      hint: 'the credentials are wrong or expired: check the identity configuration and the node clock',
    });
  }
  throw new ApiError(operation, code, response.status, serviceMessage, { retryable: isRetryableCode(code, response.status), requestId });
}

/** Codes that say "slow down" or "try again": everything else from the service is final. */
function isRetryableCode(code: string, statusCode: number | undefined): boolean {
  return /^Throttling/i.test(code) || code === 'ServiceUnavailable' || code === 'InternalError' || (statusCode !== undefined && (statusCode >= 500 || statusCode === 429));
}

function networkError(operation: ApiOperation, error: NodeJS.ErrnoException): ApiError {
  const code = error.code ?? 'NetworkError';
  if (isCertificateError(code)) {
    return new ApiError(operation, code, undefined, networkMessage(code, error.message), {
      retryable: false,
      hint: 'the endpoint presented a certificate the node does not trust: check for an intercepting proxy, and the system CA bundle',
    });
  }
  const unresolved = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  const hint = !unresolved
    ? undefined
    : /-vpc\./.test(operation.endpoint)
      ? 'VPC endpoints resolve only inside an Alibaba Cloud VPC of their region; set useVpcEndpoint: false to use the public endpoints'
      : 'check the DNS and network of the node';
  return new ApiError(operation, code, undefined, networkMessage(code, error.message), { retryable: true, hint });
}

function isCertificateError(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}

function networkMessage(code: string, message: string): string {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the endpoint name does not resolve';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (isCertificateError(code)) return `the TLS certificate was not accepted (${message})`;
  return message;
}
