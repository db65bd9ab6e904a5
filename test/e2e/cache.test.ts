// The node-local token cache: what a kubelet restart, a burst of pulls and a crash leave behind.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { useFakeCloud, withFakeCloud } from '../support/fake-node.js';
import { expectKubeletAccepts } from '../support/kubelet-rules.js';

const IMAGE = 'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app';
const HOST = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const API = 'credentialprovider.kubelet.k8s.io/v1';
const CLOUD_CODE_LOADED = 'cache miss: loading the cloud clients';

const cloud = useFakeCloud();
const scratch = mkdtempSync(join(tmpdir(), 'acr-provider-cache-'));

/** A config whose cache lives in a fresh directory the test can look into. */
function configWithCacheDir(name: string, extra = ''): { config: string; directory: string } {
  const directory = join(scratch, name);
  const config = join(scratch, `${name}.yaml`);
  writeFileSync(config, `cache:\n  directory: ${directory}\n${extra}`, { mode: 0o600 });
  return { config, directory };
}

async function provide(args: string[] = [], env?: Record<string, string>) {
  const run = await cloud.run([providerBinary, ...args], { stdin: kubeletRequest(IMAGE), env });
  expect(run.code, run.stderr).toBe(0);
  return { ...run, response: expectKubeletAccepts(run.stdout, API, IMAGE) };
}

const cloudCalls = async () => (await cloud.requests()).filter((r) => r.service !== 'imds').map((r) => r.action);

describe('the default cache in /var/lib/aliyun-acr-credential-provider', () => {
  it('answers after a kubelet restart without any cloud call and without loading the cloud code', async () => {
    const first = await provide(['--v=4']);
    expect(first.stderr).toContain(CLOUD_CODE_LOADED);
    await cloud.clearRequests();

    const second = await provide(['--v=4']);
    expect(await cloud.requests()).toEqual([]);
    expect(second.stderr).not.toContain(CLOUD_CODE_LOADED);
    expect(second.response.auth[HOST]?.password).toBe(first.response.auth[HOST]?.password);
    // Same token, same rule: its lifetime less the 15 m margin, less the fleet spread.
    expect(second.response.cacheDurationMs).toBeLessThanOrEqual(45 * 60_000);
    expect(second.response.cacheDurationMs).toBeGreaterThan(40 * 60_000);
  });

  it('keeps its directory 0700 and its files 0600, owned by the running user, named by hashes', async () => {
    await provide();
    const listing = await cloud.run(['/bin/sh', '-c', 'cd /var/lib/aliyun-acr-credential-provider && stat -c "%a %u %n" . * && cat *.json'], {});
    expect(listing.code, listing.stderr).toBe(0);
    const [directory, ...rest] = listing.stdout.trim().split('\n');
    expect(directory).toBe('700 0 .');
    const files = rest.filter((line) => /^\d+ \d+ /.test(line));
    expect(files.length).toBe(2); // the instance lookup and the token
    for (const file of files) expect(file).toMatch(/^600 0 [0-9a-f]{32}\.json$/);
    expect(listing.stdout).not.toMatch(/\.lock|\.tmp/);
  });
});

describe('concurrency', () => {
  it('20 runs started together for one instance make one refresh', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, (_, index) => cloud.run([providerBinary], { stdin: kubeletRequest(`${HOST}/team/app-${index}`) })));
    const passwords = new Set<string>();
    for (const [index, run] of runs.entries()) {
      expect(run.code, run.stderr).toBe(0);
      passwords.add(expectKubeletAccepts(run.stdout, API, `${HOST}/team/app-${index}`).auth[HOST]?.password ?? '');
    }
    expect(passwords.size).toBe(1);
    expect((await cloudCalls()).sort()).toEqual(['GetAuthorizationToken', 'ListInstance', 'ListInstanceEndpoint']);
  });
});

describe('damaged and foreign cache files', () => {
  it.each([
    ['corrupt', (path: string) => writeFileSync(path, '{"format":1,"key":')],
    ['empty', (path: string) => writeFileSync(path, '')],
    ['foreign (readable by others)', (path: string) => chmodSync(path, 0o644)],
    ['of another key', (path: string) => writeFileSync(path, JSON.stringify({ format: 1, key: 'something else', value: {} }))],
  ])('a %s file is ignored and replaced', async (name, damage) => {
    const { config, directory } = configWithCacheDir(`damaged-${name.replace(/\W+/g, '-')}`);
    const first = await provide([`--config=${config}`]);
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
    for (const file of files) damage(join(directory, file));
    await cloud.clearRequests();

    const second = await provide([`--config=${config}`]);
    expect((await cloudCalls()).sort()).toEqual(['GetAuthorizationToken', 'ListInstance', 'ListInstanceEndpoint']);
    expect(second.response.auth[HOST]?.password).not.toBe(first.response.auth[HOST]?.password);
    for (const file of files) {
      expect(statSync(join(directory, file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(directory, file), 'utf8')).format).toBe(1);
    }
  });

  it('a lock left by a run that died is taken over at once, and a half-written temp file does no harm', async () => {
    const { config, directory } = configWithCacheDir('crashed');
    await provide([`--config=${config}`]);
    const token = readdirSync(directory).filter((file) => file.endsWith('.json'));
    // What a run killed while refreshing leaves: its lock (a pid that no longer exists) and a temp file.
    for (const file of token) {
      writeFileSync(join(directory, `${file}.lock`), `999999 ${Date.now()}\n`, { mode: 0o600 });
      writeFileSync(join(directory, `${file}.999999.deadbeef.tmp`), '{"format":1,"ke', { mode: 0o600 });
      writeFileSync(join(directory, file), 'garbage', { mode: 0o600 });
    }
    await cloud.clearRequests();
    const run = await provide([`--config=${config}`]);
    expect(run.wallMs).toBeLessThan(5000);
    expect(await cloudCalls()).toContain('GetAuthorizationToken');
    expect(readdirSync(directory).filter((file) => file.endsWith('.lock'))).toEqual([]);
  });
});

describe('a run killed while refreshing', () => {
  it('leaves a cache the next run uses at once', async () => {
    await provide();
    // Make the next refresh hang, and kill the run that holds the lock (the harness SIGKILLs at its timeout).
    const { config } = configWithCacheDir('killed', 'expiringThreshold: "30m"\n');
    expect((await cloud.run([providerBinary, `--config=${config}`], { stdin: kubeletRequest(IMAGE) })).code).toBe(0);
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', kind: 'slow', delayMs: 4000, times: 1 });
    const killed = await cloud.run([providerBinary, `--config=${config}`], { stdin: kubeletRequest(IMAGE), timeoutMs: 800 });
    expect(killed.signal).toBe('SIGKILL');
    await cloud.clearRequests();

    const next = await cloud.run([providerBinary, `--config=${config}`], { stdin: kubeletRequest(IMAGE) });
    expect(next.code, next.stderr).toBe(0);
    expectKubeletAccepts(next.stdout, API, IMAGE);
    expect(next.wallMs).toBeLessThan(3000);
  });
});

describe('settings', () => {
  it('cache.enabled: false asks the cloud every time and writes nothing', async () => {
    const { config, directory } = configWithCacheDir('disabled', '  enabled: false\n');
    await provide([`--config=${config}`]);
    await provide([`--config=${config}`]);
    expect((await cloudCalls()).filter((action) => action === 'GetAuthorizationToken')).toHaveLength(2);
    expect(() => readdirSync(directory)).toThrow(/ENOENT/);
  });

  it('keeps identities apart: another identity for the same instance refreshes', async () => {
    const accessKey = { accessKeyId: 'LTAI5tFakeUser0001', accessKeySecret: 'fake-user-secret-0001' };
    await withFakeCloud({ accessKeys: [{ ...accessKey, accountId: '1000000000000001', root: false }], grants: { [accessKey.accessKeyId]: [{ actions: ['cr:*'] }] } }, async (other) => {
      const run = (env?: Record<string, string>) => other.run([providerBinary], { stdin: kubeletRequest(IMAGE), env });
      expect((await run()).code).toBe(0);
      const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: accessKey.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKey.accessKeySecret };
      expect((await run(env)).code).toBe(0);
      expect((await run(env)).code).toBe(0);
      const tokens = (await other.requests()).filter((r) => r.action === 'GetAuthorizationToken').map((r) => r.principal?.toLowerCase());
      expect(tokens).toEqual(['acs:ram::1000000000000001:role/kubernetesworkerrole-fake', accessKey.accessKeyId.toLowerCase()]);
      // The secret is part of the key only as a hash.
      const files = await other.run(['/bin/sh', '-c', 'cat /var/lib/aliyun-acr-credential-provider/*.json'], {});
      expect(files.stdout).not.toContain(accessKey.accessKeySecret);
    });
  });
});
