import { cached, type CachePolicy } from './cache/cached.js';
import { FileCache } from './cache/file-cache.js';
import { nameHash } from './cache/name-hash.js';
import { resolutionRefreshAtMs, spreadCacheDuration, STALE_CACHE_SECONDS, STALE_MIN_REMAINING_MS, tokenRefreshAtMs } from './cache/token-policy.js';
import type { Cloud, IssuedToken } from './cloud.js';
import type { ProviderConfig } from './config/config.js';
import { ProviderError } from './errors.js';
import { identityKey, planIdentity, requireServiceAccountCheck } from './identity/plan.js';
import { chooseCacheDuration } from './kubelet/cache-duration.js';
import type { CredentialProviderRequest } from './kubelet/request.js';
import type { CredentialProviderResponse, RegistryCredential } from './kubelet/response.js';
import { loadLazy } from './lazy-load.js';
import { log } from './log.js';
import { classifyRegistryHost, hostnameOf, imageRegistryHost } from './registry/image-host.js';
import type { ResolvedInstance } from './registry/resolve-instance.js';

type StoredResolution = ({ found: true; entryName?: string } & DistributiveOmit<ResolvedInstance, 'entry'>) | { found: false };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
interface Stamped<T> {
  value: T;
  refreshAtMs: number;
}

interface StoredToken {
  username: string;
  password: string;
  /** The earlier of the token's and its credentials' expiry. */
  expiresAtMs: number;
  refreshAtMs: number;
  principal: string;
}

/**
 * One kubelet request, end to end: image → registry → identity → token → response, with
 * the node-local cache in front of every cloud call. The cloud module is only loaded on a
 * cache miss. An image that is not on an ACR registry gets an empty answer, which the
 * kubelet treats as "no credentials from this plugin".
 */
export async function serve(request: CredentialProviderRequest, config: ProviderConfig, env: NodeJS.ProcessEnv): Promise<CredentialProviderResponse> {
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
  requireServiceAccountCheck(config, request);

  const cache = config.cache.enabled ? FileCache.open(config.cache.directory) : undefined;
  let cloud: Promise<Cloud> | undefined;
  const loadCloud = () =>
    (cloud ??= loadLazy().then((lazy) => {
      log.debug('cache miss: loading the cloud clients');
      return lazy.cloud.createCloud(config, request, env);
    }));

  const resolutionKey = JSON.stringify(['resolution', hostname, configFingerprint(config), identityKey(planIdentity(config, request, undefined, env))]);
  const resolution = await cached(cache, resolutionKey, stamped(isStoredResolution, () => true), async () => {
    const found = await (await loadCloud()).resolve(registry);
    const value: StoredResolution = found ? { found: true, ...withoutEntry(found), entryName: found.entry?.name } : { found: false };
    return { value, refreshAtMs: resolutionRefreshAtMs(Date.now()) };
  });
  const stored = resolution.value.value;
  if (!stored.found) {
    log.notice(`${registry.host} is not a domain of any configured ACR instance; returning no credentials`);
    return empty;
  }
  const entry = config.instances.find((candidate) => candidate.name === stored.entryName);
  const instance = { ...stored, entry } as ResolvedInstance;
  const what = instance.edition === 'enterprise' ? `instance ${instance.instanceId}` : `Personal Edition in ${instance.regionId}`;

  const plan = planIdentity(config, request, entry, env);
  const tokenKey = JSON.stringify(['token', identityKey(plan), instance.edition, instance.edition === 'enterprise' ? instance.instanceId : instance.regionId]);
  const token = await cached(cache, tokenKey, TOKEN_POLICY, async () => storedToken(await (await loadCloud()).fetchToken(instance), Date.now(), config.expiringThresholdMs));

  const now = Date.now();
  let cacheDurationSeconds = chooseCacheDuration(token.value.expiresAtMs, now, config.expiringThresholdMs);
  if (token.source === 'stale') {
    cacheDurationSeconds = Math.min(STALE_CACHE_SECONDS, cacheDurationSeconds);
    log.warn(`serving the cached token for ${what} (expires ${new Date(token.value.expiresAtMs).toISOString()}) because the refresh failed: ${token.error.oneLine()}`);
  } else {
    cacheDurationSeconds = spreadCacheDuration(cacheDurationSeconds);
  }
  if (cacheDurationSeconds === 0) {
    log.warn(`the token for ${what} expires at ${new Date(token.value.expiresAtMs).toISOString()}, too soon to cache; the kubelet will ask again on the next pull`);
  }
  const credential: RegistryCredential = { username: token.value.username, password: token.value.password };
  const auth: Record<string, RegistryCredential> = { [registry.host]: credential };
  for (const domain of instance.domains) auth[domain] ??= credential;
  const from = { cache: 'the node cache', cloud: 'the cloud', stale: 'the node cache (stale)' }[token.source];
  log.info(`token for ${what} (${instance.regionId}) as ${token.value.principal} from ${from}, cached for ${cacheDurationSeconds}s, domains ${Object.keys(auth).join(', ')}`);
  return { apiVersion: request.apiVersion, cacheDurationSeconds, auth };
}

/**
 * What is stored of a fresh token, with the time it stops being served from the node cache.
 * A token that is already expired (a wrong clock, or a broken answer) is an error, never stored.
 */
function storedToken(issued: IssuedToken, now: number, expiringThresholdMs: number): StoredToken {
  const expiresAtMs = issued.credentialsExpiresAtMs === undefined ? issued.expiresAtMs : Math.min(issued.expiresAtMs, issued.credentialsExpiresAtMs);
  if (expiresAtMs <= now) {
    throw new ProviderError(`ACR returned a token that expired at ${new Date(expiresAtMs).toISOString()}, before the node's clock (${new Date(now).toISOString()})`, {
      hint: "check the node's clock (NTP)",
    });
  }
  return { username: issued.username, password: issued.password, expiresAtMs, refreshAtMs: tokenRefreshAtMs(expiresAtMs, now, expiringThresholdMs), principal: issued.principal };
}

const TOKEN_POLICY: CachePolicy<StoredToken> = {
  isValue: (value): value is StoredToken => {
    const v = value as Partial<StoredToken> | undefined;
    return typeof v?.username === 'string' && typeof v.password === 'string' && typeof v.principal === 'string' && Number.isFinite(v.expiresAtMs) && Number.isFinite(v.refreshAtMs);
  },
  isFresh: (value, now) => now < value.refreshAtMs && now < value.expiresAtMs,
  isUsable: (value, now) => value.expiresAtMs - now >= STALE_MIN_REMAINING_MS,
};

function stamped<T>(isValue: (value: unknown) => value is T, isUsable: (value: T) => boolean): CachePolicy<Stamped<T>> {
  return {
    isValue: (stored): stored is Stamped<T> => Number.isFinite((stored as Stamped<T> | undefined)?.refreshAtMs) && isValue((stored as Stamped<T>).value),
    isFresh: (stored, now) => now < stored.refreshAtMs,
    isUsable: (stored) => isUsable(stored.value),
  };
}

function isStoredResolution(value: unknown): value is StoredResolution {
  const v = value as Record<string, unknown> | undefined;
  if (v?.found === false) return true;
  return v?.found === true && (v.edition === 'personal' || (v.edition === 'enterprise' && typeof v.instanceId === 'string')) && typeof v.regionId === 'string' && Array.isArray(v.domains) && v.domains.every((d) => typeof d === 'string');
}

function withoutEntry(instance: ResolvedInstance): DistributiveOmit<ResolvedInstance, 'entry'> {
  const { entry: _entry, ...rest } = instance;
  return rest;
}

/** What an instance lookup depends on in the config; secrets stay out (identities are keyed apart). */
function configFingerprint(config: ProviderConfig): string {
  return nameHash(JSON.stringify(config.instances, (key, value: unknown) => (key === 'accessKeySecret' ? undefined : value)));
}
