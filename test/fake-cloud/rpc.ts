/**
 * Reads an RPC-style API call (CR 2018-12-01, STS) in either signing form, or a V3-signed
 * ROA call (CR 2016-06-07), which carries its action and version in the same headers.
 */
import { headerOf, type IncomingRequest } from './incoming.js';
import { ApiFailure } from './gateway.js';
import { parseV3Authorization } from './signatures.js';

type RpcAuth = 'ACS3-HMAC-SHA256' | 'HMAC-SHA1' | 'none';

export interface RpcCall {
  auth: RpcAuth;
  action?: string;
  version?: string;
  /** API parameters only: query and form merged, without the common signing parameters. */
  params: Record<string, string>;
  accessKeyId?: string;
  /** Query and form merged, everything included: what an RPC V1 signature covers. */
  allParams: Map<string, string>;
}

/** Parameters every RPC V1 request carries; not part of an action's own parameters. */
const COMMON_PARAMS = new Set([
  'Action',
  'Version',
  'Format',
  'Timestamp',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'SignatureType',
  'AccessKeyId',
  'SecurityToken',
  'Signature',
]);

export function parseRpcCall(req: IncomingRequest): RpcCall {
  const allParams = new Map([...req.query, ...req.form]);
  const params: Record<string, string> = {};
  for (const [key, value] of allParams) if (!COMMON_PARAMS.has(key)) params[key] = value;

  const authorization = headerOf(req, 'authorization');
  // V3 carries action and version only in headers; V1 and unsigned calls in parameters.
  if (authorization?.startsWith('ACS3-HMAC-SHA256')) {
    return {
      auth: 'ACS3-HMAC-SHA256',
      action: headerOf(req, 'x-acs-action'),
      version: headerOf(req, 'x-acs-version'),
      params,
      accessKeyId: parseV3Authorization(authorization)?.accessKeyId,
      allParams,
    };
  }
  const signed = allParams.has('Signature');
  return {
    auth: signed ? 'HMAC-SHA1' : 'none',
    action: allParams.get('Action') ?? headerOf(req, 'x-acs-action'),
    version: allParams.get('Version') ?? headerOf(req, 'x-acs-version'),
    params,
    accessKeyId: signed ? allParams.get('AccessKeyId') : undefined,
    allParams,
  };
}

/** The gateway's answer when no API matches the request. */
export function apiNotFound(): ApiFailure {
  return new ApiFailure(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
}

/** The called action, or the gateway's refusal of a call for another API version or an unknown action. */
export function rpcAction(call: RpcCall, version: string, actions: readonly string[]): string | ApiFailure {
  if (call.version === undefined) return new ApiFailure(400, 'MissingVersion', 'Version is mandatory for this action.');
  if (call.version !== version) return new ApiFailure(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
  if (call.action === undefined) return new ApiFailure(400, 'MissingAction', 'Action is mandatory for this action.');
  if (!actions.includes(call.action)) return apiNotFound();
  return call.action;
}
