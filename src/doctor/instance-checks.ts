import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Cloud } from '../cloud.js';
import type { ProviderConfig } from '../config/config.js';
import { regionalEndpoint } from '../openapi/call-api.js';
import { failFrom, fail, ok, type CheckResult } from './check.js';

/** Private ranges, and Alibaba Cloud's 100.0.0.0/8 for VPC service endpoints. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.0.0.0', 8], ['127.0.0.0', 8]] as const) PRIVATE.addSubnet(network, prefix, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** Each configured instance: its domains resolve (privately where they should), and a token can be had. */
export async function instanceChecks(cloud: Cloud, config: ProviderConfig): Promise<{ results: CheckResult[]; domains: string[] }> {
  const results: CheckResult[] = [];
  const domains: string[] = [];
  for (const entry of config.instances) {
    const name = `${entry.name} (${entry.instanceId ?? 'Personal Edition'})`;
    let instance;
    try {
      instance = await cloud.instanceOf(entry);
    } catch (error) {
      results.push(failFrom(`${name} domains`, error));
      continue;
    }
    domains.push(...instance.domains);
    for (const domain of instance.domains) results.push(await resolves(`${name} ${domain}`, domain, isVpcDomain(domain)));
    if (config.useVpcEndpoint) {
      const endpoint = regionalEndpoint('cr', instance.regionId, 'vpc');
      results.push(await resolves(`${name} API endpoint`, endpoint, true));
    }
    try {
      const token = await cloud.fetchToken(instance);
      results.push(ok(`${name} token`, `GetAuthorizationToken allowed for ${token.principal}; the token expires ${new Date(token.expiresAtMs).toISOString()}`));
    } catch (error) {
      results.push(failFrom(`${name} token`, error));
    }
  }
  return { results, domains };
}

/** The VPC forms of ACR domains: <name>-registry-vpc.<region>.cr.aliyuncs.com, registry[-intl]-vpc.<region>.aliyuncs.com. */
function isVpcDomain(domain: string): boolean {
  return /-vpc\./.test(domain.split(':')[0] ?? '');
}

async function resolves(check: string, domain: string, mustBePrivate: boolean): Promise<CheckResult> {
  let addresses: string[];
  try {
    addresses = (await lookup(domain.split(':')[0] ?? domain, { all: true })).map((entry) => entry.address);
  } catch (error) {
    return fail(check, `${domain} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'add a DNS record or an /etc/hosts entry for it (see node-setup)');
  }
  const publicOnes = addresses.filter((address) => !PRIVATE.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'));
  if (mustBePrivate && publicOnes.length > 0) {
    return fail(check, `${domain} resolves to the public address ${publicOnes.join(', ')}, but it is a VPC domain`, 'point it at the private address of the instance (PrivateZone, or /etc/hosts through node-setup for VPC peering and CEN)');
  }
  return ok(check, `${domain} resolves to ${addresses.join(', ')}`);
}
