import type { ProviderConfig } from './config/config.js';
import { ProviderError } from './errors.js';
import { EcsMetadata } from './identity/ecs-metadata.js';
import type { Credentials } from './identity/credentials.js';
import { chooseCacheDuration } from './kubelet/cache-duration.js';
import type { CredentialProviderRequest } from './kubelet/request.js';
import type { CredentialProviderResponse, RegistryCredential } from './kubelet/response.js';
import { log } from './log.js';
import { EnterpriseApi } from './registry/enterprise-api.js';
import { classifyRegistryHost, hostnameOf, imageRegistryHost } from './registry/image-host.js';
import { resolveInstance } from './registry/resolve-instance.js';

/** What a run needs from outside: the clock and the node's metadata service. */
export interface ProviderEnvironment {
  now(): number;
  metadata: EcsMetadata;
}

/**
 * One kubelet request, end to end: image → registry → identity → token → response.
 * An image that is not on an ACR registry gets an empty answer, which the kubelet
 * treats as "no credentials from this plugin" and pulls with whatever else it has.
 */
export async function provideCredentials(request: CredentialProviderRequest, config: ProviderConfig, environment: ProviderEnvironment): Promise<CredentialProviderResponse> {
  const registry = classifyRegistryHost(imageRegistryHost(request.image));
  const empty: CredentialProviderResponse = { apiVersion: request.apiVersion, cacheDurationSeconds: 0, auth: {} };

  if (registry.kind === 'personal-crpi') {
    throw new ProviderError(`${registry.host} is a Personal Edition instance created after 2024-09-08, which the ACR token API does not support`, {
      hint: 'use an imagePullSecret with a fixed password for it, or move the repository to an Enterprise Edition instance',
    });
  }
  if (registry.kind === 'personal') {
    throw new ProviderError(`${registry.host} is an ACR Personal Edition registry, which this version of the provider does not serve yet`, {
      hint: 'use an Enterprise Edition instance, or an imagePullSecret for Personal Edition images',
    });
  }
  const hostname = hostnameOf(registry.host);
  const mayBeCustomDomain = config.instances.some((entry) => entry.domains === undefined || entry.domains.includes(hostname));
  if (registry.kind === 'other' && !mayBeCustomDomain) {
    log.notice(`${registry.host} is not an ACR registry domain nor listed in the config; returning no credentials`);
    return empty;
  }

  const credentials = await environment.metadata.roleCredentials();
  const apis = new Map<string, EnterpriseApi>();
  const api = (regionId: string): EnterpriseApi => {
    let regional = apis.get(regionId);
    if (!regional) apis.set(regionId, (regional = new EnterpriseApi(credentials, regionId, config.useVpcEndpoint ? 'vpc' : 'public')));
    return regional;
  };
  const instance = await resolveInstance(registry, { instances: config.instances, api, nodeRegionId: () => environment.metadata.regionId() });
  if (!instance) {
    log.notice(`${registry.host} is not a domain of any configured ACR instance; returning no credentials`);
    return empty;
  }

  const token = await api(instance.regionId).getAuthorizationToken(instance.instanceId);
  const expiresAtMs = earliestExpiry(token.expiresAtMs, credentials);
  const cacheDurationSeconds = chooseCacheDuration(expiresAtMs, environment.now(), config.expiringThresholdMs);
  if (cacheDurationSeconds === 0) {
    log.warn(`the token for instance ${instance.instanceId} expires at ${new Date(expiresAtMs).toISOString()}, too soon to cache; the kubelet will ask again on the next pull`);
  }
  const credential: RegistryCredential = { username: token.username, password: token.password };
  const auth: Record<string, RegistryCredential> = { [registry.host]: credential };
  for (const domain of instance.domains) auth[domain] ??= credential;
  log.info(`token for instance ${instance.instanceId} (${instance.regionId}) as ${credentials.principal}, cached for ${cacheDurationSeconds}s, domains ${Object.keys(auth).join(', ')}`);
  return { apiVersion: request.apiVersion, cacheDurationSeconds, auth };
}

/** An ACR token made with STS credentials dies with them, whatever ExpireTime says. */
function earliestExpiry(tokenExpiresAtMs: number, credentials: Credentials): number {
  return credentials.expiresAtMs === undefined ? tokenExpiresAtMs : Math.min(tokenExpiresAtMs, credentials.expiresAtMs);
}
