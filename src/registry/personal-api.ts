import { ProviderError } from '../errors.js';
import type { Credentials } from '../identity/credentials.js';
import { ApiError, callApi, regionalEndpoint, type ApiNetwork } from '../openapi/call-api.js';
import type { RegistryToken } from './enterprise-api.js';

/** The ACR Personal Edition token API (2016-06-07, `GET /tokens`) of one region. */
export async function getPersonalToken(credentials: Credentials, regionId: string, network: ApiNetwork): Promise<RegistryToken> {
  const endpoint = regionalEndpoint('cr', regionId, network);
  let body: Record<string, unknown>;
  try {
    body = await callApi(credentials, { endpoint, action: 'GetAuthorizationToken', version: '2016-06-07', method: 'GET', pathname: '/tokens' });
  } catch (error) {
    throw error instanceof ApiError ? explain(error, credentials, regionId) : error;
  }
  const data = (body.data ?? {}) as Record<string, unknown>;
  const { tempUserName, authorizationToken, expireDate } = data;
  if (typeof tempUserName !== 'string' || typeof authorizationToken !== 'string' || authorizationToken === '' || typeof expireDate !== 'number' || !Number.isFinite(expireDate)) {
    throw new ProviderError(`the Personal Edition token API on ${endpoint} returned no usable token`, {
      retryable: true,
      requestId: typeof body.requestId === 'string' ? body.requestId : undefined,
    });
  }
  return { username: tempUserName, password: authorizationToken, expiresAtMs: expireDate };
}

function explain(error: ApiError, credentials: Credentials, regionId: string): ProviderError {
  if (error.code === 'USER_NOT_EXIST') {
    return new ProviderError(`${credentials.principal} has no ACR Personal Edition registry login in ${regionId} (USER_NOT_EXIST)`, {
      requestId: error.requestId,
      hint: 'sign in to the Container Registry console once as this identity and set a registry password (Personal Edition needs it), or move the images to an Enterprise Edition instance',
      cause: error,
    });
  }
  if (/^Forbidden|^NoPermission/.test(error.code)) {
    return new ProviderError(`${credentials.principal} is not allowed to call cr:GetAuthorizationToken for Personal Edition in ${regionId} (${error.code})`, {
      requestId: error.requestId,
      hint: 'add cr:GetAuthorizationToken to the RAM policy of that identity',
      cause: error,
    });
  }
  return error;
}
