import { ProviderError } from '../errors.js';
import type { Credentials } from '../identity/credentials.js';
import { ApiError, callApi, regionalEndpoint, type ApiNetwork, type ApiOperation } from '../openapi/call-api.js';

/** A temporary registry login. */
export interface RegistryToken {
  username: string;
  password: string;
  expiresAtMs: number;
}

export interface EnterpriseInstance {
  instanceId: string;
  instanceName: string;
}

const VERSION = '2018-12-01';
const PAGE_SIZE = 50;

/** The ACR Enterprise Edition API (2018-12-01) of one region, called as one identity. */
export class EnterpriseApi {
  readonly endpoint: string;

  constructor(
    private readonly credentials: Credentials,
    readonly regionId: string,
    network: ApiNetwork,
  ) {
    this.endpoint = regionalEndpoint('cr', regionId, network);
  }

  /** Who calls, in words for messages. */
  get principal(): string {
    return this.credentials.principal;
  }

  async getAuthorizationToken(instanceId: string): Promise<RegistryToken> {
    const body = await this.call('GetAuthorizationToken', { InstanceId: instanceId }, instanceId);
    const { TempUsername, AuthorizationToken, ExpireTime } = body;
    if (typeof TempUsername !== 'string' || typeof AuthorizationToken !== 'string' || AuthorizationToken === '' || typeof ExpireTime !== 'number' || !Number.isFinite(ExpireTime)) {
      throw new ProviderError(`GetAuthorizationToken on ${this.endpoint} returned no usable token for instance ${instanceId}`, {
        retryable: true,
        requestId: requestIdOf(body),
      });
    }
    return { username: TempUsername, password: AuthorizationToken, expiresAtMs: ExpireTime };
  }

  /** Every instance of the caller's account in this region (ListInstance, all pages). */
  async listInstances(): Promise<EnterpriseInstance[]> {
    const instances: EnterpriseInstance[] = [];
    for (let page = 1; ; page++) {
      const body = await this.call('ListInstance', { PageNo: String(page), PageSize: String(PAGE_SIZE) });
      const items = Array.isArray(body.Instances) ? (body.Instances as Record<string, unknown>[]) : [];
      for (const item of items) {
        if (typeof item.InstanceId === 'string' && typeof item.InstanceName === 'string') {
          instances.push({ instanceId: item.InstanceId, instanceName: item.InstanceName });
        }
      }
      const total = Number(body.TotalCount);
      if (items.length === 0 || !Number.isFinite(total) || page * PAGE_SIZE >= total) return instances;
    }
  }

  /** All registry domains of an instance: public and VPC, system and custom (ListInstanceEndpoint). */
  async listInstanceDomains(instanceId: string): Promise<string[]> {
    const body = await this.call('ListInstanceEndpoint', { InstanceId: instanceId, ModuleName: 'Registry' }, instanceId);
    const domains = new Set<string>();
    for (const endpoint of Array.isArray(body.Endpoints) ? (body.Endpoints as Record<string, unknown>[]) : []) {
      for (const domain of Array.isArray(endpoint.Domains) ? (endpoint.Domains as Record<string, unknown>[]) : []) {
        if (typeof domain.Domain === 'string' && domain.Domain !== '') domains.add(domain.Domain.toLowerCase());
      }
    }
    return [...domains];
  }

  private async call(action: string, query: Record<string, string>, instanceId?: string): Promise<Record<string, unknown>> {
    const operation: ApiOperation = { endpoint: this.endpoint, action, version: VERSION, method: 'POST', pathname: '/', query };
    let body: Record<string, unknown>;
    try {
      body = await callApi(this.credentials, operation);
    } catch (error) {
      throw error instanceof ApiError ? this.explain(error, instanceId) : error;
    }
    // ACR reports some failures as HTTP 200 with IsSuccess:false.
    if (body.IsSuccess === false) {
      const code = typeof body.Code === 'string' ? body.Code : 'UNKNOWN';
      throw this.explain(new ApiError(operation, code, 200, typeof body.Message === 'string' ? body.Message : '', { retryable: false, requestId: requestIdOf(body) }), instanceId);
    }
    return body;
  }

  /** Turns an API error into a message that says what to change. */
  private explain(error: ApiError, instanceId: string | undefined): ProviderError {
    const action = error.operation.action;
    const target = instanceId ? `instance ${instanceId}` : `region ${this.regionId}`;
    const requestId = error.requestId;
    if (/^Forbidden|^NoPermission/.test(error.code)) {
      return new ProviderError(`${this.credentials.principal} is not allowed to call cr:${action} on ${target} (${error.code})`, {
        requestId,
        hint: `add cr:${action} to the RAM policy of that identity`,
        cause: error,
      });
    }
    if (error.code === 'INSTANCE_NOT_EXIST') {
      return new ProviderError(`ACR instance ${instanceId ?? ''} does not exist in region ${this.regionId} or is not visible to ${this.credentials.principal}`, {
        requestId,
        hint: 'check instanceId and regionId in the provider config',
        cause: error,
      });
    }
    return error;
  }
}

function requestIdOf(body: Record<string, unknown>): string | undefined {
  return typeof body.RequestId === 'string' ? body.RequestId : undefined;
}
