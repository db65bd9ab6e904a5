import { readFile } from 'node:fs/promises';
import { ProviderError } from '../errors.js';
import { parseDuration } from '../kubelet/duration.js';

/** One ACR Enterprise Edition instance, with the keys of ACK's acr-registry-info entries. */
export interface InstanceConfig {
  instanceId: string;
  /** Region of the instance; default: the region in its domain, else the node's region. */
  regionId?: string;
  /** Registry domains of the instance; default: all of them, read with ListInstanceEndpoint. */
  domains?: string[];
}

export interface ProviderConfig {
  /** Credentials are given to the kubelet for their lifetime minus this margin. */
  expiringThresholdMs: number;
  /** Call the API endpoints inside the VPC (cr-vpc.<region>.aliyuncs.com). */
  useVpcEndpoint: boolean;
  instances: InstanceConfig[];
}

export const DEFAULT_CONFIG: ProviderConfig = { expiringThresholdMs: 15 * 60_000, useVpcEndpoint: false, instances: [] };

export const TOP_LEVEL_KEYS = ['expiringThreshold', 'useVpcEndpoint', 'instances'];
export const INSTANCE_KEYS = ['instanceId', 'regionId', 'domains'];
const REGION_ID = /^[a-z0-9]+(?:-[a-z0-9]+)+$/;
const INSTANCE_ID = /^cri-[a-z0-9]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?$/;

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
  return parseConfig(text, path);
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
    const yaml = await import('yaml');
    try {
      document = yaml.parse(text);
    } catch (error) {
      throw new ProviderError(`config ${source} is not valid YAML: ${firstLine((error as Error).message)}`);
    }
  }
  if (document === null || document === undefined) return { ...DEFAULT_CONFIG };
  const at = (where: string) => `config ${source}: ${where}`;
  const root = objectOf(document, at('the top level'));
  checkKeys(root, TOP_LEVEL_KEYS, at('the top level'));

  const config: ProviderConfig = { ...DEFAULT_CONFIG, instances: [] };
  if (root.expiringThreshold !== undefined) {
    const ms = typeof root.expiringThreshold === 'string' ? parseDuration(root.expiringThreshold) : undefined;
    if (ms === undefined) throw new ProviderError(`${at('expiringThreshold')} must be a duration string such as "15m"`);
    config.expiringThresholdMs = ms;
  }
  if (root.useVpcEndpoint !== undefined) {
    if (typeof root.useVpcEndpoint !== 'boolean') throw new ProviderError(`${at('useVpcEndpoint')} must be true or false`);
    config.useVpcEndpoint = root.useVpcEndpoint;
  }
  if (root.instances !== undefined && root.instances !== null) {
    if (!Array.isArray(root.instances)) throw new ProviderError(`${at('instances')} must be a list`);
    root.instances.forEach((entry, index) => config.instances.push(parseInstance(entry, at(`instances[${index}]`))));
  }
  return config;
}

function parseInstance(value: unknown, where: string): InstanceConfig {
  const entry = objectOf(value, where);
  checkKeys(entry, INSTANCE_KEYS, where);
  if (typeof entry.instanceId !== 'string' || !INSTANCE_ID.test(entry.instanceId)) {
    throw new ProviderError(`${where}: instanceId must be an ACR Enterprise Edition instance id such as "cri-abc123"`);
  }
  const instance: InstanceConfig = { instanceId: entry.instanceId };
  if (entry.regionId !== undefined && entry.regionId !== '') {
    if (typeof entry.regionId !== 'string' || !REGION_ID.test(entry.regionId)) {
      throw new ProviderError(`${where}: regionId must be a region id such as "cn-hangzhou"`);
    }
    instance.regionId = entry.regionId;
  }
  if (entry.domains !== undefined && entry.domains !== '') {
    // ACK's acr-registry-info writes domains as one comma-separated string; a list is accepted too.
    const list = typeof entry.domains === 'string' ? entry.domains.split(',') : entry.domains;
    if (!Array.isArray(list) || !list.every((domain) => typeof domain === 'string')) {
      throw new ProviderError(`${where}: domains must be a comma-separated string or a list of domain names`);
    }
    const domains = list.map((domain) => domain.trim().toLowerCase()).filter((domain) => domain !== '');
    const bad = domains.find((domain) => !DOMAIN.test(domain));
    if (bad !== undefined) throw new ProviderError(`${where}: domains has ${JSON.stringify(bad)}, which is not a domain name (no scheme or path)`);
    if (domains.length > 0) instance.domains = domains;
  }
  return instance;
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
