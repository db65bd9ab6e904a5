// Before the SDK: it creates its HTTP agent when it loads.
import './proxy.js';
import openapi from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { ProviderError } from '../errors.js';
import { runDeadline } from '../resilience/deadline.js';
import { withRetries } from '../resilience/retry.js';
import type { Credentials } from '../identity/credentials.js';
import { VERSION } from '../version.js';

/** One Alibaba Cloud OpenAPI operation, described the way the generated SDK clients describe it. */
export interface ApiOperation {
  /** Host name of the API endpoint, e.g. cr.cn-hangzhou.aliyuncs.com. */
  endpoint: string;
  action: string;
  version: string;
  style: 'RPC' | 'ROA';
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

/**
 * Signs and sends one operation through @alicloud/openapi-client's generic callApi (V3
 * signature, HTTPS) with the run's timeouts and retries, and returns the JSON body; without credentials the call is anonymous
 * (AssumeRoleWithOIDC). Every failure becomes an ApiError; an HTTP 200 whose body says
 * IsSuccess:false is left to the caller, which knows the API.
 */
export async function callApi(credentials: Credentials | undefined, operation: ApiOperation): Promise<Record<string, unknown>> {
  const client = new openapi.default(
    new openapi.Config({
      accessKeyId: credentials?.accessKeyId,
      accessKeySecret: credentials?.accessKeySecret,
      securityToken: credentials?.securityToken,
      endpoint: operation.endpoint,
      protocol: 'https',
      userAgent: `aliyun-acr-credential-provider/${VERSION}`,
    }),
  );
  const params = new openapi.Params({
    action: operation.action,
    version: operation.version,
    protocol: 'HTTPS',
    pathname: operation.pathname,
    method: operation.method,
    authType: credentials ? 'AK' : 'Anonymous',
    style: operation.style,
    reqBodyType: operation.style === 'RPC' ? 'formData' : 'json',
    bodyType: 'json',
  });
  return withRetries(`${operation.action} on ${operation.endpoint}`, async () => {
    const timeoutMs = runDeadline().requestBudgetMs();
    const runtime = new teaUtil.RuntimeOptions({ readTimeout: timeoutMs, connectTimeout: timeoutMs });
    let response: { body?: unknown };
    try {
      response = (await client.callApi(params, new openapi.OpenApiRequest({ query: operation.query ?? {} }), runtime)) as { body?: unknown };
    } catch (error) {
      throw toApiError(operation, error, credentials);
    }
    const body = response.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError(operation, 'InvalidResponse', 200, 'the response body is not a JSON object', { retryable: true });
    }
    return body as Record<string, unknown>;
  });
}

/** Codes that say "slow down" or "try again": everything else from the service is final. */
export function isRetryableCode(code: string, statusCode: number | undefined): boolean {
  return /^Throttling/i.test(code) || code === 'ServiceUnavailable' || code === 'InternalError' || (statusCode !== undefined && (statusCode >= 500 || statusCode === 429));
}

function toApiError(operation: ApiOperation, error: unknown, credentials: Credentials | undefined): ApiError {
  const e = error as { name?: string; code?: unknown; errno?: unknown; syscall?: unknown; statusCode?: unknown; message?: string; data?: Record<string, unknown> };
  if (e instanceof SyntaxError) {
    // The SDK parses error bodies as JSON; a proxy's HTML error page ends up here.
    return new ApiError(operation, 'InvalidResponse', undefined, 'the endpoint answered with a body that is not JSON', { retryable: true });
  }
  // Node's certificate errors carry only a code (no errno or syscall).
  if (typeof e.code === 'string' && isCertificateError(e.code)) {
    return new ApiError(operation, e.code, undefined, networkMessage(e.code, e.message ?? ''), {
      retryable: false,
      hint: 'the endpoint presented a certificate the node does not trust: check for an intercepting proxy, and the system CA bundle',
    });
  }
  if (typeof e.errno === 'number' || typeof e.syscall === 'string' || /Timeout/i.test(e.name ?? '')) {
    const code = typeof e.code === 'string' ? e.code : (e.name ?? 'NetworkError');
    const unresolved = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const hint = !unresolved
      ? undefined
      : /-vpc\./.test(operation.endpoint)
        ? 'VPC endpoints resolve only inside an Alibaba Cloud VPC of their region; set useVpcEndpoint: false to use the public endpoints'
        : 'check the DNS and network of the node';
    return new ApiError(operation, code, undefined, networkMessage(code, e.message ?? ''), { retryable: true, hint });
  }
  if (typeof e.code === 'string') {
    const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const data = e.data ?? {};
    const requestId = typeof data.RequestId === 'string' ? data.RequestId : typeof data.requestId === 'string' ? data.requestId : undefined;
    const serviceMessage = typeof data.Message === 'string' ? data.Message : typeof data.message === 'string' ? data.message : '';
    if (credentials && /^InvalidAccessKeyId|^SignatureDoesNotMatch|^InvalidSecurityToken|^MissingSecurityToken|^InvalidTimeStamp/.test(e.code)) {
      return new ApiError(operation, e.code, statusCode, serviceMessage, {
        retryable: false,
        requestId,
        message: `${operation.endpoint} rejected the credentials of ${credentials.principal} (${e.code})`,
        hint: 'the credentials are wrong or expired: check the identity configuration and the node clock',
      });
    }
    return new ApiError(operation, e.code, statusCode, serviceMessage, { retryable: isRetryableCode(e.code, statusCode), requestId });
  }
  return new ApiError(operation, 'NetworkError', undefined, e.message ?? String(error), { retryable: true });
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
