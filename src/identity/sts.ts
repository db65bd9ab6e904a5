import { ProviderError } from '../errors.js';
import { ApiError, callApi, regionalEndpoint, type ApiNetwork, type ApiOperation } from '../openapi/call-api.js';
import type { Credentials } from './credentials.js';

/** 2–32 characters of [A-Za-z0-9.@_-]: the conservative limit of the older STS docs. */
export const ROLE_SESSION_NAME = 'aliyun-acr-credential-provider';

export interface StsEndpoint {
  regionId: string;
  network: ApiNetwork;
}

export interface AssumeRoleOptions {
  roleArn: string;
  durationSeconds: number;
  externalId?: string;
}

/** AssumeRole: the base identity becomes a role, typically in the registry owner's account. */
export async function assumeRole(base: Credentials, endpoint: StsEndpoint, options: AssumeRoleOptions): Promise<Credentials> {
  const query: Record<string, string> = { RoleArn: options.roleArn, RoleSessionName: ROLE_SESSION_NAME, DurationSeconds: String(options.durationSeconds) };
  if (options.externalId) query.ExternalId = options.externalId;
  const body = await callSts(base, endpoint, 'AssumeRole', query, (error) => {
    const hint = /NoPermission|NotTrusted|EntityNotExist/i.test(error.code)
      ? `the trust policy of ${options.roleArn} must allow ${base.principal}${options.externalId ? ' with this externalId' : ''}`
      : /DurationSeconds/i.test(error.code)
        ? "lower expireDuration to at most the role's maximum session duration"
        : undefined;
    return new ProviderError(`${base.principal} cannot assume ${options.roleArn}: ${error.code}${error.serviceMessage ? `: ${error.serviceMessage}` : ''}`, {
      requestId: error.requestId,
      retryable: error.retryable,
      hint,
      cause: error,
    });
  });
  return credentialsOf(body, `the role ${options.roleArn} (assumed by ${base.principal})`);
}

export interface OidcOptions {
  oidcProviderArn: string;
  roleArn: string;
  oidcToken: string;
  durationSeconds: number;
  /** Who the token belongs to, for messages: `service account team/app`. */
  subject: string;
}

/** AssumeRoleWithOIDC (RRSA): a service account token becomes a role. The call is unsigned. */
export async function assumeRoleWithOidc(endpoint: StsEndpoint, options: OidcOptions): Promise<Credentials> {
  const query = {
    OIDCProviderArn: options.oidcProviderArn,
    RoleArn: options.roleArn,
    OIDCToken: options.oidcToken,
    RoleSessionName: ROLE_SESSION_NAME,
    DurationSeconds: String(options.durationSeconds),
  };
  const body = await callSts(undefined, endpoint, 'AssumeRoleWithOIDC', query, (error) => {
    return new ProviderError(`the token of ${options.subject} cannot assume ${options.roleArn} through ${options.oidcProviderArn}: ${error.code}${error.serviceMessage ? `: ${error.serviceMessage}` : ''}`, {
      requestId: error.requestId,
      retryable: error.retryable,
      hint: error.retryable
        ? undefined
        : `the role's trust policy must allow the OIDC provider with oidc:aud matching the kubelet's serviceAccountTokenAudience and oidc:sub system:serviceaccount:<namespace>:<name>`,
      cause: error,
    });
  });
  return credentialsOf(body, `the role ${options.roleArn} (RRSA, ${options.subject})`);
}

async function callSts(
  credentials: Credentials | undefined,
  endpoint: StsEndpoint,
  action: string,
  query: Record<string, string>,
  explain: (error: ApiError) => ProviderError,
): Promise<Record<string, unknown>> {
  const operation: ApiOperation = { endpoint: regionalEndpoint('sts', endpoint.regionId, endpoint.network), action, version: '2015-04-01', method: 'POST', pathname: '/', query };
  try {
    return await callApi(credentials, operation);
  } catch (error) {
    throw error instanceof ApiError ? explain(error) : error;
  }
}

function credentialsOf(body: Record<string, unknown>, principal: string): Credentials {
  const credentials = (body.Credentials ?? {}) as Record<string, unknown>;
  const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = credentials;
  const expiresAtMs = typeof Expiration === 'string' ? Date.parse(Expiration) : Number.NaN;
  if (typeof AccessKeyId !== 'string' || typeof AccessKeySecret !== 'string' || typeof SecurityToken !== 'string' || !Number.isFinite(expiresAtMs)) {
    throw new ProviderError(`STS returned no usable credentials for ${principal}`, {
      retryable: true,
      requestId: typeof body.RequestId === 'string' ? body.RequestId : undefined,
    });
  }
  return { accessKeyId: AccessKeyId, accessKeySecret: AccessKeySecret, securityToken: SecurityToken, expiresAtMs, principal };
}
