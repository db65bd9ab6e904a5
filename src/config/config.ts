import { readFile, stat } from 'node:fs/promises';
import { ProviderError } from '../errors.js';
import { loadYaml } from '../lazy-load.js';
import { parseDuration } from '../kubelet/duration.js';
import { classifyRegistryHost } from '../registry/image-host.js';

/** An AccessKey pair written in the config file: the least safe identity. */
export interface AccessKeyConfig {
  accessKeyId: string;
  accessKeySecret: string;
}

/**
 * One ACR instance with the keys of ACK's acr-registry-info entries, so an entry can be
 * pasted from there. Each entry may carry its own identity.
 */
export interface InstanceConfig {
  /** Where the entry stands in the file, for messages: `instances[1]`. */
  name: string;
  /** Enterprise Edition instance id; absent (empty in acr-registry-info) for Personal Edition. */
  instanceId?: string;
  /** Region of the instance; default: the region in its domain, else the node's region. */
  regionId?: string;
  /** Registry domains of the instance; default: all of them, read with ListInstanceEndpoint. */
  domains?: string[];
  /** A role in the registry owner's account, assumed on top of the base identity. */
  assumeRoleARN?: string;
  /** Session length of the assumed role, seconds (900–43200). */
  expireDuration?: number;
  externalId?: string;
  /** RRSA: role assumed with the pod's service account token, and the cluster's OIDC provider. */
  rrsaRoleARN?: string;
  rrsaOIDCProviderRoleARN?: string;
  customAccessKey?: AccessKeyConfig;
}

/** Pod-level identity (RRSA) through the service account tokens of KEP-4412. */
export interface RrsaConfig {
  /** The cluster's OIDC provider, acs:ram::<uid>:oidc-provider/ack-rrsa-<cluster id>. */
  oidcProviderArn?: string;
  /** Role for service accounts without the role annotation. */
  roleArn?: string;
  /** Refuse requests that carry no service account token instead of using the node identity. */
  requireServiceAccount: boolean;
}

/** The node-local token cache. */
export interface CacheConfig {
  enabled: boolean;
  directory: string;
}

export interface ProviderConfig {
  /** Credentials are given to the kubelet for their lifetime minus this margin. */
  expiringThresholdMs: number;
  /** The whole run, retries included; well under the kubelet's 60 s kill. */
  deadlineMs: number;
  /** One HTTP request to an Alibaba Cloud API, connect plus response. */
  requestTimeoutMs: number;
  cache: CacheConfig;
  /** Call the API endpoints inside the VPC (cr-vpc / sts-vpc .<region>.aliyuncs.com). */
  useVpcEndpoint: boolean;
  rrsa: RrsaConfig;
  instances: InstanceConfig[];
}

export const DEFAULT_EXPIRE_DURATION_SECONDS = 3600;

/** Where the kubelet runs the provider, as root; a user running the Docker helper gets a cache of their own. */
export const DEFAULT_CACHE_DIRECTORY =
  process.getuid?.() === 0 || !process.env.HOME ? '/var/lib/aliyun-acr-credential-provider' : `${process.env.HOME}/.cache/aliyun-acr-credential-provider`;
/** The kubelet kills a plugin after 60 s; leave it time to read the answer. */
export const MAX_DEADLINE_MS = 50_000;

export const DEFAULT_CONFIG: ProviderConfig = {
  expiringThresholdMs: 15 * 60_000,
  deadlineMs: 20_000,
  requestTimeoutMs: 5_000,
  cache: { enabled: true, directory: DEFAULT_CACHE_DIRECTORY },
  useVpcEndpoint: false,
  rrsa: { requireServiceAccount: false },
  instances: [],
};

export const TOP_LEVEL_KEYS = ['expiringThreshold', 'deadline', 'requestTimeout', 'cache', 'useVpcEndpoint', 'rrsa', 'instances'];
export const CACHE_KEYS = ['enabled', 'directory'];
export const RRSA_KEYS = ['oidcProviderArn', 'roleArn', 'requireServiceAccount'];
export const INSTANCE_KEYS = [
  'instanceId',
  'regionId',
  'domains',
  'assumeRoleARN',
  'expireDuration',
  'externalId',
  'rrsaRoleARN',
  'rrsaOIDCProviderRoleARN',
  'customAccessKey',
  'customAccessKeySecret',
];
const REGION_ID = /^[a-z0-9]+(?:-[a-z0-9]+)+$/;
const INSTANCE_ID = /^cri-[a-z0-9]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/;
export const ROLE_ARN = /^acs:ram::\d+:role\/[A-Za-z0-9.@_+=,-]{1,64}$/;
const OIDC_PROVIDER_ARN = /^acs:ram::\d+:oidc-provider\/[A-Za-z0-9._-]{1,128}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9]{8,64}$/;

/** Reads and validates the config file (YAML or JSON). Every mistake names the file, entry and key. */
export async function loadConfig(path: string): Promise<ProviderConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ProviderError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'fix the --config path in the kubelet CredentialProviderConfig args',
    });
  }
  const config = await parseConfig(text, path);
  const withSecret = config.instances.find((entry) => entry.customAccessKey);
  if (withSecret) {
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) {
      throw new ProviderError(`config ${path}: ${withSecret.name} holds an AccessKey secret, but the file is readable by others (mode ${mode.toString(8).padStart(4, '0')})`, {
        hint: `chmod 600 ${path}`,
      });
    }
  }
  return config;
}

export async function parseConfig(text: string, source: string): Promise<ProviderConfig> {
  let document: unknown;
  if (text.trimStart().startsWith('{')) {
    try {
      document = JSON.parse(text);
    } catch {
      // V8's message quotes the text, which may hold a secret.
      throw new ProviderError(`config ${source} is not valid JSON`);
    }
  } else {
    // JSON is valid YAML too, but the YAML parser is only loaded when it is needed.
    const yaml = await loadYaml();
    try {
      document = yaml.parse(text);
    } catch (error) {
      throw new ProviderError(`config ${source} is not valid YAML: ${firstLine((error as Error).message)}`);
    }
  }
  const config: ProviderConfig = { ...DEFAULT_CONFIG, cache: { ...DEFAULT_CONFIG.cache }, rrsa: { ...DEFAULT_CONFIG.rrsa }, instances: [] };
  if (document === null || document === undefined) return config;
  const at = (where: string) => `config ${source}: ${where}`;
  const root = objectOf(document, at('the top level'));
  checkKeys(root, TOP_LEVEL_KEYS, at('the top level'));

  config.expiringThresholdMs = durationOf(root.expiringThreshold, at('expiringThreshold'), '"15m"') ?? config.expiringThresholdMs;
  config.deadlineMs = durationOf(root.deadline, at('deadline'), '"20s"', { minMs: 1000, maxMs: MAX_DEADLINE_MS }) ?? config.deadlineMs;
  config.requestTimeoutMs = durationOf(root.requestTimeout, at('requestTimeout'), '"5s"', { minMs: 100, maxMs: config.deadlineMs }) ?? config.requestTimeoutMs;
  if (root.cache !== undefined && root.cache !== null) {
    const cache = objectOf(root.cache, at('cache'));
    checkKeys(cache, CACHE_KEYS, at('cache'));
    if (cache.enabled !== undefined) config.cache.enabled = booleanOf(cache.enabled, at('cache.enabled'));
    if (cache.directory !== undefined) {
      if (typeof cache.directory !== 'string' || !cache.directory.startsWith('/')) throw new ProviderError(`${at('cache.directory')} must be an absolute path`);
      config.cache.directory = cache.directory;
    }
  }
  if (root.useVpcEndpoint !== undefined) config.useVpcEndpoint = booleanOf(root.useVpcEndpoint, at('useVpcEndpoint'));
  if (root.rrsa !== undefined && root.rrsa !== null) {
    const rrsa = objectOf(root.rrsa, at('rrsa'));
    checkKeys(rrsa, RRSA_KEYS, at('rrsa'));
    config.rrsa.oidcProviderArn = matching(rrsa.oidcProviderArn, OIDC_PROVIDER_ARN, at('rrsa.oidcProviderArn'), 'an OIDC provider ARN such as "acs:ram::<uid>:oidc-provider/ack-rrsa-<cluster id>"');
    config.rrsa.roleArn = matching(rrsa.roleArn, ROLE_ARN, at('rrsa.roleArn'), 'a role ARN such as "acs:ram::<uid>:role/<name>"');
    if (rrsa.requireServiceAccount !== undefined) config.rrsa.requireServiceAccount = booleanOf(rrsa.requireServiceAccount, at('rrsa.requireServiceAccount'));
  }
  if (root.instances !== undefined && root.instances !== null) {
    if (!Array.isArray(root.instances)) throw new ProviderError(`${at('instances')} must be a list`);
    root.instances.forEach((entry, index) => config.instances.push(parseInstance(entry, `instances[${index}]`, at(`instances[${index}]`))));
  }
  return config;
}

function parseInstance(value: unknown, name: string, where: string): InstanceConfig {
  const entry = objectOf(value, where);
  checkKeys(entry, INSTANCE_KEYS, where);
  const instance: InstanceConfig = { name };
  instance.instanceId = matching(entry.instanceId, INSTANCE_ID, `${where}: instanceId`, 'an Enterprise Edition instance id such as "cri-abc123" (empty for Personal Edition)');
  instance.regionId = matching(entry.regionId, REGION_ID, `${where}: regionId`, 'a region id such as "cn-hangzhou"');
  if (instance.instanceId === undefined && instance.regionId === undefined && entry.domains === undefined) {
    throw new ProviderError(`${where}: a Personal Edition entry (no instanceId) needs regionId or domains`);
  }
  if (entry.domains !== undefined && entry.domains !== null && entry.domains !== '') {
    // ACK's acr-registry-info writes domains as one comma-separated string; a list is accepted too.
    const list = typeof entry.domains === 'string' ? entry.domains.split(',') : entry.domains;
    if (!Array.isArray(list) || !list.every((domain) => typeof domain === 'string')) {
      throw new ProviderError(`${where}: domains must be a comma-separated string or a list of domain names`);
    }
    const domains = list.map((domain) => domain.trim().toLowerCase()).filter((domain) => domain !== '');
    const bad = domains.find((domain) => !DOMAIN.test(domain));
    if (bad !== undefined) throw new ProviderError(`${where}: domains has ${JSON.stringify(bad)}, which is not a domain name (no scheme or path)`);
    if (domains.length > 0) instance.domains = domains;
    const enterprise = instance.instanceId === undefined ? domains.find((domain) => classifyRegistryHost(domain).kind === 'enterprise') : undefined;
    if (enterprise !== undefined) throw new ProviderError(`${where}: ${enterprise} is an Enterprise Edition domain, but the entry has no instanceId`);
  }
  instance.assumeRoleARN = matching(entry.assumeRoleARN, ROLE_ARN, `${where}: assumeRoleARN`, 'a role ARN such as "acs:ram::<uid>:role/<name>"');
  instance.externalId = matching(entry.externalId, EXTERNAL_ID, `${where}: externalId`, '2-1224 characters of letters, digits and +=,.@:/-_');
  if (entry.expireDuration !== undefined && entry.expireDuration !== null && entry.expireDuration !== '') {
    const seconds = Number(entry.expireDuration);
    if (!Number.isInteger(seconds) || seconds < 900 || seconds > 43200) {
      throw new ProviderError(`${where}: expireDuration must be a whole number of seconds from 900 to 43200 (and at most the role's maximum session duration)`);
    }
    instance.expireDuration = seconds;
  }
  if ((instance.externalId !== undefined || instance.expireDuration !== undefined) && instance.assumeRoleARN === undefined) {
    throw new ProviderError(`${where}: ${instance.externalId !== undefined ? 'externalId' : 'expireDuration'} applies to assumeRoleARN, which is not set`);
  }
  instance.rrsaRoleARN = matching(entry.rrsaRoleARN, ROLE_ARN, `${where}: rrsaRoleARN`, 'a role ARN such as "acs:ram::<uid>:role/<name>"');
  instance.rrsaOIDCProviderRoleARN = matching(entry.rrsaOIDCProviderRoleARN, OIDC_PROVIDER_ARN, `${where}: rrsaOIDCProviderRoleARN`, 'an OIDC provider ARN such as "acs:ram::<uid>:oidc-provider/ack-rrsa-<cluster id>"');
  const accessKeyId = matching(entry.customAccessKey, ACCESS_KEY_ID, `${where}: customAccessKey`, 'an AccessKey id');
  const accessKeySecret = entry.customAccessKeySecret === '' || entry.customAccessKeySecret === null ? undefined : entry.customAccessKeySecret;
  if ((accessKeyId === undefined) !== (accessKeySecret === undefined)) {
    throw new ProviderError(`${where}: customAccessKey and customAccessKeySecret go together`);
  }
  if (accessKeyId !== undefined) {
    if (typeof accessKeySecret !== 'string') throw new ProviderError(`${where}: customAccessKeySecret must be a string`);
    if (instance.rrsaRoleARN !== undefined || instance.rrsaOIDCProviderRoleARN !== undefined) {
      throw new ProviderError(`${where}: choose one identity: customAccessKey or the rrsa keys, not both`);
    }
    instance.customAccessKey = { accessKeyId, accessKeySecret };
  }
  for (const key of Object.keys(instance) as (keyof InstanceConfig)[]) if (instance[key] === undefined) delete instance[key];
  return instance;
}

/** An optional duration key ("15m"), within bounds. */
function durationOf(value: unknown, where: string, example: string, bounds: { minMs?: number; maxMs?: number } = {}): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) throw new ProviderError(`${where} must be a duration string such as ${example}`);
  if ((bounds.minMs !== undefined && ms < bounds.minMs) || (bounds.maxMs !== undefined && ms > bounds.maxMs)) {
    throw new ProviderError(`${where} must be between ${(bounds.minMs ?? 0) / 1000}s and ${(bounds.maxMs ?? 0) / 1000}s`);
  }
  return ms;
}

/** An optional string key that must match `pattern`; empty counts as absent, as in acr-registry-info. */
function matching(value: unknown, pattern: RegExp, where: string, expected: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new ProviderError(`${where} must be ${expected}`);
  return value;
}

function booleanOf(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ProviderError(`${where} must be true or false`);
  return value;
}

function objectOf(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProviderError(`${where} must be a mapping of keys to values`);
  return value as Record<string, unknown>;
}

function checkKeys(object: Record<string, unknown>, known: string[], where: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const near = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase().replace(/[-_]/g, ''));
    throw new ProviderError(`${where}: unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`, {
      hint: `known keys: ${known.join(', ')}`,
    });
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
