/**
 * Calls actions with the real SDK: @alicloud/openapi-client `callApi` with the Params of
 * reference §1.8 (V3 signature by default, RPC V1 with signatureAlgorithm 'v2'), or ROA
 * Params like those of the Personal Edition `GET /tokens` (reference §2.1).
 */
import openapi from '@alicloud/openapi-client';
import teaUtil from '@alicloud/tea-util';
import { createRequire } from 'node:module';
import { errorSummary, type Credential } from './common.js';

export interface RpcCall {
  action: string;
  /** Default: the ACR EE version 2018-12-01. */
  version?: string;
  query?: Record<string, string>;
  /** Forces the signature nonce (to provoke SignatureNonceUsed). */
  nonce?: string;
  /** Forces the request timestamp, `YYYY-MM-DDTHH:mm:ssZ`. */
  timestamp?: string;
  /** Sends the call ROA-style: this method and path, a JSON request body type. */
  roa?: { method: 'GET' | 'POST'; pathname: string };
}

export interface RpcClientOptions {
  /** Default: cr.cn-hangzhou.aliyuncs.com. */
  endpoint?: string;
  /** 'v2' = the RPC V1 HMAC-SHA1 form instead of V3. */
  signatureAlgorithm?: 'v2';
  readTimeoutMs?: number;
}

export type RpcOutcome =
  | { ok: true; elapsedMs: number; statusCode: number; body: Record<string, unknown> }
  | ({ ok: false; elapsedMs: number } & ReturnType<typeof errorSummary>);

export type RpcClient = InstanceType<typeof openapi.default>;

// openapi-client has its own copies of these helpers; patch the ones it really calls.
const requireFromClient = createRequire(createRequire(import.meta.url).resolve('@alicloud/openapi-client'));
const sdkUtil = (requireFromClient('@alicloud/tea-util') as { default: { getNonce(): string } }).default;
const sdkOpenApiUtil = (requireFromClient('@alicloud/openapi-util') as { default: { getTimestamp(): string } }).default;
const realNonce = sdkUtil.getNonce.bind(sdkUtil);
const realTimestamp = sdkOpenApiUtil.getTimestamp.bind(sdkOpenApiUtil);

export function rpcClient(credential: Credential, options: RpcClientOptions): RpcClient {
  return new openapi.default(
    new openapi.Config({
      credential,
      endpoint: options.endpoint ?? 'cr.cn-hangzhou.aliyuncs.com',
      protocol: 'https',
      signatureAlgorithm: options.signatureAlgorithm,
      readTimeout: options.readTimeoutMs ?? 5000,
      connectTimeout: 3000,
    }),
  );
}

export async function callRpc(client: RpcClient, call: RpcCall): Promise<RpcOutcome> {
  const { nonce, timestamp } = call;
  sdkUtil.getNonce = nonce === undefined ? realNonce : () => nonce;
  sdkOpenApiUtil.getTimestamp = timestamp === undefined ? realTimestamp : () => timestamp;
  const params = new openapi.Params({
    action: call.action,
    version: call.version ?? '2018-12-01',
    protocol: 'HTTPS',
    ...(call.roa ? { ...call.roa, style: 'ROA', reqBodyType: 'json' } : { pathname: '/', method: 'POST', style: 'RPC', reqBodyType: 'formData' }),
    authType: 'AK',
    bodyType: 'json',
  });
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  try {
    const request = new openapi.OpenApiRequest({ query: call.query ?? {} });
    const res = (await client.callApi(params, request, new teaUtil.RuntimeOptions({ keepAlive: false }))) as { statusCode: number; body: Record<string, unknown> };
    return { ok: true, elapsedMs: elapsedMs(), statusCode: res.statusCode, body: res.body };
  } catch (error) {
    return { ok: false, elapsedMs: elapsedMs(), ...errorSummary(error) };
  }
}

export async function callAll(client: RpcClient, calls: RpcCall[]): Promise<RpcOutcome[]> {
  const outcomes: RpcOutcome[] = [];
  for (const call of calls) outcomes.push(await callRpc(client, call));
  return outcomes;
}
