/** Where an image lives and what kind of ACR registry (if any) that host is. */
export type RegistryHost =
  | { kind: 'enterprise'; host: string; instanceName: string; regionId: string; network: 'internet' | 'vpc' }
  | { kind: 'personal'; host: string; regionId: string }
  /** Personal Edition instances created since 2024-09-09: crpi-<id>.<region>.personal.cr.aliyuncs.com */
  | { kind: 'personal-crpi'; host: string; regionId: string }
  | { kind: 'other'; host: string };

/**
 * The registry host of a repository name as the kubelet sends it (`host[:port]/path`).
 * Follows the Docker reference rule: the first component is a host only when it has a
 * dot, a port or is `localhost`; otherwise the image is on Docker Hub.
 */
export function imageRegistryHost(image: string): string {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  if (first === '' || (!first.includes('.') && !first.includes(':') && first !== 'localhost')) return 'docker.io';
  return first;
}

/** Hostname without the port, lower-cased (DNS names are case-insensitive). */
export function hostnameOf(host: string): string {
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  if (bracket !== -1) return host.slice(0, bracket + 1).toLowerCase();
  const colon = host.lastIndexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

const REGION = '(?<region>[a-z0-9]+(?:-[a-z0-9]+)+)';
const ENTERPRISE = new RegExp(`^(?<name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-registry(?<vpc>-vpc)?\\.${REGION}\\.cr\\.aliyuncs\\.com$`);
const PERSONAL = new RegExp(`^registry(?:-intl)?(?:-vpc|-internal)?\\.${REGION}\\.aliyuncs\\.com$`);
const PERSONAL_CRPI = new RegExp(`^crpi-[a-z0-9]+(?:-vpc)?\\.${REGION}\\.personal\\.cr\\.aliyuncs\\.com$`);

/** Classifies a registry host (with or without port) by the ACR domain patterns. */
export function classifyRegistryHost(host: string): RegistryHost {
  const hostname = hostnameOf(host);
  const enterprise = ENTERPRISE.exec(hostname);
  if (enterprise?.groups) {
    return {
      kind: 'enterprise',
      host,
      instanceName: enterprise.groups.name as string,
      regionId: enterprise.groups.region as string,
      network: enterprise.groups.vpc ? 'vpc' : 'internet',
    };
  }
  const personal = PERSONAL.exec(hostname);
  if (personal?.groups) return { kind: 'personal', host, regionId: personal.groups.region as string };
  const crpi = PERSONAL_CRPI.exec(hostname);
  if (crpi?.groups) return { kind: 'personal-crpi', host, regionId: crpi.groups.region as string };
  return { kind: 'other', host };
}
