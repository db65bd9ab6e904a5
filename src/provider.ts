import type { ProviderConfig } from './config/config.js';
import { ProviderError } from './errors.js';
import type { Credentials } from './identity/credentials.js';
import type { EcsMetadata } from './identity/ecs-metadata.js';
import { Identities } from './identity/identities.js';
import { chooseCacheDuration } from './kubelet/cache-duration.js';
import type { CredentialProviderRequest } from './kubelet/request.js';
import type { CredentialProviderResponse, RegistryCredential } from './kubelet/response.js';
import { log } from './log.js';
import type { ApiNetwork } from './openapi/call-api.js';
import { EnterpriseApi, type RegistryToken } from './registry/enterprise-api.js';
import { classifyRegistryHost, hostnameOf, imageRegistryHost } from './registry/image-host.js';
import { getPersonalToken } from './registry/personal-api.js';
import { resolveInstance, type ResolvedInstance } from './registry/resolve-instance.js';

/** What a run needs from outside: the clock, the node's metadata service and the environment. */
export interface ProviderEnvironment {
  now(): number;
  metadata: EcsMetadata;
  env: NodeJS.ProcessEnv;
}

/**
 * One kubelet request, end to end: image → registry → identity → token → response.
 * An image that is not on an ACR registry gets an empty answer, which the kubelet
 * treats as "no credentials from this plugin" and pulls with whatever else it has.
 */
export async function provideCredentials(request: CredentialProviderRequest, config: ProviderConfig, environment: ProviderEnvironment): Promise<CredentialProviderResponse> {
  const registry = classifyRegistryHost(imageRegistryHost(request.image));
  const hostname = hostnameOf(registry.host);
  const empty: CredentialProviderResponse = { apiVersion: request.apiVersion, cacheDurationSeconds: 0, auth: {} };

  const listed = config.instances.some((entry) => entry.domains?.includes(hostname));
  if (registry.kind === 'personal-crpi' && !listed) {
    throw new ProviderError(`${registry.host} is a Personal Edition instance created after 2024-09-08, which the ACR token API does not support`, {
      hint: 'use an imagePullSecret with a fixed password for it, or move the repository to an Enterprise Edition instance',
    });
  }
  const mayBeCustomDomain = listed || config.instances.some((entry) => entry.instanceId !== undefined && entry.domains === undefined);
  if (registry.kind === 'other' && !mayBeCustomDomain) {
    log.notice(`${registry.host} is not an ACR registry domain nor listed in the config; returning no credentials`);
    return empty;
  }

  const network: ApiNetwork = config.useVpcEndpoint ? 'vpc' : 'public';
  const identities = new Identities(config, request, environment.metadata, environment.env);
  const api = async (regionId: string, entry: Parameters<Identities['for']>[0]) => new EnterpriseApi(await identities.for(entry, regionId), regionId, network);
  const instance = await resolveInstance(registry, { instances: config.instances, api, nodeRegionId: () => environment.metadata.regionId() });
  if (!instance) {
    log.notice(`${registry.host} is not a domain of any configured ACR instance; returning no credentials`);
    return empty;
  }

  const credentials = await identities.for(instance.entry, instance.regionId);
  const token = await fetchToken(instance, credentials, network);
  const expiresAtMs = earliestExpiry(token.expiresAtMs, credentials);
  const cacheDurationSeconds = chooseCacheDuration(expiresAtMs, environment.now(), config.expiringThresholdMs);
  const what = instance.edition === 'enterprise' ? `instance ${instance.instanceId}` : `Personal Edition`;
  if (cacheDurationSeconds === 0) {
    log.warn(`the token for ${what} expires at ${new Date(expiresAtMs).toISOString()}, too soon to cache; the kubelet will ask again on the next pull`);
  }
  const credential: RegistryCredential = { username: token.username, password: token.password };
  const auth: Record<string, RegistryCredential> = { [registry.host]: credential };
  for (const domain of instance.domains) auth[domain] ??= credential;
  log.info(`token for ${what} (${instance.regionId}) as ${credentials.principal}, cached for ${cacheDurationSeconds}s, domains ${Object.keys(auth).join(', ')}`);
  return { apiVersion: request.apiVersion, cacheDurationSeconds, auth };
}

function fetchToken(instance: ResolvedInstance, credentials: Credentials, network: ApiNetwork): Promise<RegistryToken> {
  if (instance.edition === 'personal') return getPersonalToken(credentials, instance.regionId, network);
  return new EnterpriseApi(credentials, instance.regionId, network).getAuthorizationToken(instance.instanceId);
}

/** An ACR token made with STS credentials dies with them, whatever ExpireTime says. */
function earliestExpiry(tokenExpiresAtMs: number, credentials: Credentials): number {
  return credentials.expiresAtMs === undefined ? tokenExpiresAtMs : Math.min(tokenExpiresAtMs, credentials.expiresAtMs);
}
