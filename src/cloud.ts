import type { InstanceConfig, ProviderConfig } from './config/config.js';
import type { Credentials } from './identity/credentials.js';
import { EcsMetadata } from './identity/ecs-metadata.js';
import { Identities } from './identity/identities.js';
import type { CredentialProviderRequest } from './kubelet/request.js';
import type { ApiNetwork } from './openapi/call-api.js';
import { EnterpriseApi, type RegistryToken } from './registry/enterprise-api.js';
import type { RegistryHost } from './registry/image-host.js';
import { getPersonalToken } from './registry/personal-api.js';
import { resolveInstance, type ResolvedInstance } from './registry/resolve-instance.js';

/** A registry login and who obtained it. */
export interface IssuedToken extends RegistryToken {
  /** When the credentials that asked for the token expire: the token dies with them. */
  credentialsExpiresAtMs?: number;
  principal: string;
}

/**
 * Everything that talks to Alibaba Cloud, for one request. This module (and through it
 * every cloud client) is only loaded when the node-local cache cannot answer.
 */
export interface Cloud {
  resolve(registry: RegistryHost): Promise<ResolvedInstance | undefined>;
  fetchToken(instance: ResolvedInstance): Promise<IssuedToken>;
  /** A config entry as the instance it names, its domains read from the API when the entry lists none. */
  instanceOf(entry: InstanceConfig): Promise<ResolvedInstance>;
  metadata: EcsMetadata;
}

export function createCloud(config: ProviderConfig, request: CredentialProviderRequest, env: NodeJS.ProcessEnv): Cloud {
  const metadata = new EcsMetadata();
  const network: ApiNetwork = config.useVpcEndpoint ? 'vpc' : 'public';
  const identities = new Identities(config, request, metadata, env, network);
  const nodeRegionId = () => metadata.regionId();
  /** The Enterprise API of a region, as the identity of a config entry (or the default one). */
  const enterpriseApi = async (regionId: string, entry: InstanceConfig | undefined) => new EnterpriseApi(await identities.for(entry, regionId), regionId, network);
  return {
    metadata,
    async instanceOf(entry) {
      const regionId = entry.regionId ?? (await nodeRegionId());
      if (entry.instanceId === undefined) return { edition: 'personal', regionId, domains: entry.domains ?? [], entry };
      const domains = entry.domains ?? (await (await enterpriseApi(regionId, entry)).listInstanceDomains(entry.instanceId));
      return { edition: 'enterprise', instanceId: entry.instanceId, regionId, domains, entry };
    },
    resolve: (registry) => resolveInstance(registry, { instances: config.instances, api: enterpriseApi, nodeRegionId }),
    async fetchToken(instance) {
      const credentials = await identities.for(instance.entry, instance.regionId);
      const token = await tokenOf(instance, credentials, network);
      return { ...token, credentialsExpiresAtMs: credentials.expiresAtMs, principal: credentials.principal };
    },
  };
}

function tokenOf(instance: ResolvedInstance, credentials: Credentials, network: ApiNetwork): Promise<RegistryToken> {
  if (instance.edition === 'personal') return getPersonalToken(credentials, instance.regionId, network);
  return new EnterpriseApi(credentials, instance.regionId, network).getAuthorizationToken(instance.instanceId);
}
