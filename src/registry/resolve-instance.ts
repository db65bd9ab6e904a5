import type { InstanceConfig } from '../config/config.js';
import { ProviderError } from '../errors.js';
import type { EnterpriseApi } from './enterprise-api.js';
import { hostnameOf, type RegistryHost } from './image-host.js';

/** The ACR instance serving a registry host, and every domain it answers on. */
export type ResolvedInstance =
  | { edition: 'enterprise'; instanceId: string; regionId: string; domains: string[]; entry?: InstanceConfig }
  | { edition: 'personal'; regionId: string; domains: string[]; entry?: InstanceConfig };

export interface ResolveContext {
  instances: InstanceConfig[];
  /** The Enterprise API of a region, as the identity of `entry` (or the default identity). */
  api(regionId: string, entry: InstanceConfig | undefined): Promise<EnterpriseApi>;
  /** The node's own region, the default for config entries without regionId. */
  nodeRegionId(): Promise<string>;
}

/**
 * Finds the instance for a host: first a config entry that lists the domain; then, for
 * Personal Edition hosts, an entry for that region; then Enterprise entries without
 * domains (their domains are read from the API); last, for a system domain
 * `<name>-registry[-vpc].<region>.cr.aliyuncs.com`, the instance of that name in that
 * region. Returns undefined when the host belongs to no instance.
 */
export async function resolveInstance(registry: RegistryHost, context: ResolveContext): Promise<ResolvedInstance | undefined> {
  const hostname = hostnameOf(registry.host);
  const systemRegion = registry.kind === 'enterprise' || registry.kind === 'personal' ? registry.regionId : undefined;
  const regionOf = async (entry: InstanceConfig) => entry.regionId ?? systemRegion ?? (await context.nodeRegionId());

  const listed = context.instances.find((entry) => entry.domains?.includes(hostname));
  if (listed) {
    const regionId = await regionOf(listed);
    const domains = listed.domains ?? [];
    return listed.instanceId === undefined
      ? { edition: 'personal', regionId, domains, entry: listed }
      : { edition: 'enterprise', instanceId: listed.instanceId, regionId, domains, entry: listed };
  }

  if (registry.kind === 'personal') {
    const entry = context.instances.find((candidate) => candidate.instanceId === undefined && candidate.domains === undefined && candidate.regionId === registry.regionId);
    return { edition: 'personal', regionId: registry.regionId, domains: [], entry };
  }

  for (const entry of context.instances.filter((candidate) => candidate.instanceId !== undefined && candidate.domains === undefined)) {
    const regionId = entry.regionId ?? (await context.nodeRegionId());
    // A system domain names its region: an instance elsewhere cannot serve it.
    if (systemRegion !== undefined && regionId !== systemRegion) continue;
    const domains = await (await context.api(regionId, entry)).listInstanceDomains(entry.instanceId as string);
    if (domains.includes(hostname)) return { edition: 'enterprise', instanceId: entry.instanceId as string, regionId, domains, entry };
  }

  if (registry.kind !== 'enterprise') return undefined;
  const api = await context.api(registry.regionId, undefined);
  const instance = (await api.listInstances()).find((candidate) => candidate.instanceName === registry.instanceName);
  if (!instance) {
    throw new ProviderError(`no ACR Enterprise Edition instance named "${registry.instanceName}" in region ${registry.regionId} is visible to ${api.principal}`, {
      hint: 'check the image domain, or add the instance (instanceId, regionId, domains and its identity) to the provider config',
    });
  }
  const domains = await api.listInstanceDomains(instance.instanceId);
  if (!domains.includes(hostname)) {
    throw new ProviderError(`ACR instance ${instance.instanceId} ("${instance.instanceName}") does not list the domain ${hostname}`, {
      hint: 'check the image domain, or list it under domains for this instance in the provider config',
    });
  }
  return { edition: 'enterprise', instanceId: instance.instanceId, regionId: registry.regionId, domains };
}
