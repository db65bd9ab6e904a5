/** Authenticates a signed RPC call the way the API gateway does, with its error codes. */
import { ApiFailure } from './gateway.js';
import type { Identities, KeyRecord } from './identities.js';
import { headerOf, type IncomingRequest } from './incoming.js';
import type { NonceCache } from './nonces.js';
import type { RpcCall } from './rpc.js';
import {
  parseV3Authorization,
  rpcSignature,
  rpcStringToSign,
  safeEqual,
  sha256Hex,
  v3Signature,
  v3StringToSign,
} from './signatures.js';

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const TIMESTAMP_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function signatureMismatch(stringToSign: string): ApiFailure {
  // @alicloud/credentials compares the echoed string with its own to tell a wrong secret apart.
  return new ApiFailure(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
}

/** Checks the signature; returns the failure, or undefined when it matches. */
function checkSignature(req: IncomingRequest, call: RpcCall, record: KeyRecord): ApiFailure | undefined {
  if (call.auth === 'ACS3-HMAC-SHA256') {
    const authorization = parseV3Authorization(headerOf(req, 'authorization') ?? '');
    const hashedPayload = headerOf(req, 'x-acs-content-sha256') ?? '';
    const stringToSign = v3StringToSign({ method: req.method, path: req.path, query: req.query, headers: req.headers }, hashedPayload);
    if (!authorization || hashedPayload !== sha256Hex(req.body)) return signatureMismatch(stringToSign);
    return safeEqual(authorization.signature, v3Signature(stringToSign, record.accessKeySecret)) ? undefined : signatureMismatch(stringToSign);
  }
  const stringToSign = rpcStringToSign(req.method, call.allParams);
  const presented = call.allParams.get('Signature') ?? '';
  return safeEqual(presented, rpcSignature(stringToSign, record.accessKeySecret)) ? undefined : signatureMismatch(stringToSign);
}

/** The credentials that signed the call, or why the gateway refuses it. */
export function authenticate(req: IncomingRequest, call: RpcCall, identities: Identities, nonces: NonceCache, nowMs: number): KeyRecord | ApiFailure {
  if (call.auth === 'none' || call.accessKeyId === undefined) {
    return new ApiFailure(400, 'MissingAccessKeyId', 'AccessKeyId is mandatory for this action.');
  }
  const record = identities.lookup(call.accessKeyId);
  if (!record) return new ApiFailure(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');

  const v3 = call.auth === 'ACS3-HMAC-SHA256';
  const presentedToken = v3 ? headerOf(req, 'x-acs-security-token') : call.allParams.get('SecurityToken');
  if (record.securityToken !== undefined && !presentedToken) {
    return new ApiFailure(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
  }

  const mismatch = checkSignature(req, call, record);
  if (mismatch) return mismatch;

  const timestamp = v3 ? headerOf(req, 'x-acs-date') : call.allParams.get('Timestamp');
  if (!timestamp || !TIMESTAMP_FORMAT.test(timestamp)) {
    return new ApiFailure(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(Date.parse(timestamp) - nowMs) > MAX_CLOCK_SKEW_MS) {
    return new ApiFailure(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  }

  const nonce = v3 ? headerOf(req, 'x-acs-signature-nonce') : call.allParams.get('SignatureNonce');
  if (!nonce) return new ApiFailure(400, 'MissingSignatureNonce', 'SignatureNonce is mandatory for this action.');
  if (!nonces.use(record.accessKeyId, nonce, nowMs)) {
    return new ApiFailure(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
  }

  if (record.securityToken !== undefined) {
    if (presentedToken !== record.securityToken) {
      return new ApiFailure(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'Specified SecurityToken mismatch with the AccessKey.');
    }
    if (record.expiresAtMs !== undefined && nowMs >= record.expiresAtMs) {
      return new ApiFailure(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
    }
  }
  return record;
}
