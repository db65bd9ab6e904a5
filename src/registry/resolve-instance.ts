import { ProviderError } from '../errors.js';
import type { InstanceConfig } from '../config/config.js';
import { hostnameOf, type RegistryHost } from './image-host.js';
import type { EnterpriseApi } from './enterprise-api.js';

/** The ACR Enterprise Edition instance serving a registry host, and every domain it answers on. */
export interface ResolvedInstance {
  instanceId: string;
  regionId: string;
  domains: string[];
}

export interface ResolveContext {
  instances: InstanceConfig[];
  /** The API of a region, as the identity in use. */
  api(regionId: string): EnterpriseApi;
  /** The node's own region, the default for config entries without regionId. */
  nodeRegionId(): Promise<string>;
}

/**
 * Finds the instance for a host: first a config entry that lists the domain, then config
 * entries without domains (their domains are read from the API), and for a system domain
 * `<name>-registry[-vpc].<region>.cr.aliyuncs.com` the instance of that name in that region.
 * Returns undefined when the host belongs to no instance.
 */
export async function resolveInstance(registry: RegistryHost, context: ResolveContext): Promise<ResolvedInstance | undefined> {
  const hostname = hostnameOf(registry.host);
  const systemRegion = registry.kind === 'enterprise' ? registry.regionId : undefined;

  const listed = context.instances.find((entry) => entry.domains?.includes(hostname));
  if (listed) {
    const regionId = listed.regionId ?? systemRegion ?? (await context.nodeRegionId());
    return { instanceId: listed.instanceId, regionId, domains: listed.domains ?? [] };
  }

  for (const entry of context.instances.filter((candidate) => candidate.domains === undefined)) {
    const regionId = entry.regionId ?? (await context.nodeRegionId());
    // A system domain names its region: an instance elsewhere cannot serve it.
    if (systemRegion !== undefined && regionId !== systemRegion) continue;
    const domains = await context.api(regionId).listInstanceDomains(entry.instanceId);
    if (domains.includes(hostname)) return { instanceId: entry.instanceId, regionId, domains };
  }

  if (registry.kind !== 'enterprise') return undefined;
  const api = context.api(registry.regionId);
  const instance = (await api.listInstances()).find((candidate) => candidate.instanceName === registry.instanceName);
  if (!instance) {
    throw new ProviderError(`no ACR Enterprise Edition instance named "${registry.instanceName}" in region ${registry.regionId} is visible to this identity`, {
      hint: 'check the image domain, or add the instance (instanceId, regionId, domains) to the provider config',
    });
  }
  const domains = await api.listInstanceDomains(instance.instanceId);
  if (!domains.includes(hostname)) {
    throw new ProviderError(`ACR instance ${instance.instanceId} ("${instance.instanceName}") does not list the domain ${hostname}`, {
      hint: 'check the image domain, or list it under domains for this instance in the provider config',
    });
  }
  return { instanceId: instance.instanceId, regionId: registry.regionId, domains };
}
