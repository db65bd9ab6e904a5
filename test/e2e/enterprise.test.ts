import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { expectCacheWindow, expectOneLineFailure } from '../support/expectations.js';
import { useFakeCloud, withFakeCloud } from '../support/fake-node.js';
import { expectKubeletAccepts } from '../support/kubelet-rules.js';

const ACME = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const ACME_VPC = 'acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com';
const ACME_CUSTOM = 'registry.acme.example';
const ACMESH = 'acmesh-registry.cn-shanghai.cr.aliyuncs.com';
const WORKER_ROLE = /role\/kubernetesworkerrole-fake$/i;

const cloud = useFakeCloud();
const configDir = mkdtempSync(join(tmpdir(), 'acr-provider-config-'));

function writeConfig(name: string, text: string): string {
  const path = join(configDir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function provide(image: string, options: { apiVersion?: string; args?: string[] } = {}) {
  const apiVersion = options.apiVersion ?? 'credentialprovider.kubelet.k8s.io/v1';
  const result = await cloud.run([providerBinary, ...(options.args ?? [])], { stdin: kubeletRequest(image, apiVersion) });
  return { ...result, apiVersion };
}

/** The cloud API calls of a run, as "service action" lines (IMDS calls as "imds METHOD path"). */
async function apiCalls(): Promise<string[]> {
  return (await cloud.requests()).map((r) => (r.service === 'imds' ? `imds ${r.method} ${r.path}` : `${r.host} ${r.action}`));
}

describe('ACR Enterprise Edition with the node Worker RAM role, no config', () => {
  it.each(['v1', 'v1beta1', 'v1alpha1'])('answers a %s request the kubelet accepts', async (version) => {
    const run = await provide(`${ACME}/team/app`, { apiVersion: `credentialprovider.kubelet.k8s.io/${version}` });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const response = expectKubeletAccepts(run.stdout, run.apiVersion, `${ACME}/team/app`);
    expect(response.cacheKeyType).toBe('Registry');
    // A fresh 1 h token less the 15 m margin.
    expectCacheWindow(response.cacheDurationMs, 45);
    // Every domain of the instance carries the token: public, VPC and custom.
    expect(Object.keys(response.auth ?? {}).sort()).toEqual([ACME, ACME_VPC, ACME_CUSTOM].sort());
    const credential = response.auth?.[ACME];
    expect(credential?.username).toBe('cr_temp_user');
    expect(credential?.password).toMatch(/.{16,}/);
  });

  it('reads metadata in hardened mode and calls ACR as the worker role', async () => {
    await provide(`${ACME}/team/app`);
    const requests = await cloud.requests();
    expect(await apiCalls()).toEqual([
      'imds PUT /latest/api/token',
      'imds GET /latest/meta-data/ram/security-credentials/',
      'imds GET /latest/meta-data/ram/security-credentials/KubernetesWorkerRole-fake',
      'cr.cn-hangzhou.aliyuncs.com ListInstance',
      'cr.cn-hangzhou.aliyuncs.com ListInstanceEndpoint',
      'cr.cn-hangzhou.aliyuncs.com GetAuthorizationToken',
    ]);
    for (const request of requests.filter((r) => r.service === 'imds' && r.method === 'GET')) expect(request.auth).toBe('imds-token');
    for (const request of requests.filter((r) => r.service === 'cr')) {
      expect(request.status).toBe(200);
      expect(request.auth).toBe('ACS3-HMAC-SHA256');
      expect(request.principal).toMatch(WORKER_ROLE);
    }
    expect(requests.find((r) => r.action === 'GetAuthorizationToken')?.params.InstanceId).toBe('cri-acme0000000001');
  });

  it('serves the VPC domain of the instance', async () => {
    const run = await provide(`${ACME_VPC}/team/app`);
    expect(run.code).toBe(0);
    expect(Object.keys(expectKubeletAccepts(run.stdout, run.apiVersion, `${ACME_VPC}/team/app`).auth ?? {})).toContain(ACME_VPC);
  });

  it('pulls across regions: the API of the image region is called', async () => {
    const run = await provide(`${ACMESH}/team/app`);
    expect(run.stderr).toBe('');
    expectKubeletAccepts(run.stdout, run.apiVersion, `${ACMESH}/team/app`);
    const calls = (await apiCalls()).filter((call) => !call.startsWith('imds'));
    expect(calls).toEqual(['cr.cn-shanghai.aliyuncs.com ListInstance', 'cr.cn-shanghai.aliyuncs.com ListInstanceEndpoint', 'cr.cn-shanghai.aliyuncs.com GetAuthorizationToken']);
  });

  it('answers an image that is not on ACR with no credentials, a note and exit 0', async () => {
    const run = await provide('docker.io/library/nginx');
    expect(run.code).toBe(0);
    const response = expectKubeletAccepts(run.stdout, run.apiVersion, 'docker.io/library/nginx');
    expect(response.auth).toEqual({});
    expect(response.cacheDurationMs).toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/docker\.io is not an ACR registry/);
    expect(await cloud.requests()).toEqual([]);
  });

  it('fails clearly for an instance name that does not exist in the region', async () => {
    const run = await provide('nosuch-registry.cn-hangzhou.cr.aliyuncs.com/team/app');
    expectOneLineFailure(run, /no ACR Enterprise Edition instance named "nosuch" in region cn-hangzhou/);
  });
});

describe('finding the instance and reading metadata', () => {
  it('pages through ListInstance to find the instance by name', async () => {
    const many = Array.from({ length: 75 }, (_, index) => ({
      instanceId: `cri-filler${String(index).padStart(8, '0')}`,
      instanceName: `filler${index}`,
      regionId: 'cn-hangzhou',
      accountId: '1000000000000001',
    }));
    await withFakeCloud({ instances: [...many, { instanceId: 'cri-last0000000001', instanceName: 'last', regionId: 'cn-hangzhou', accountId: '1000000000000001' }] }, async (crowded) => {
      const image = 'last-registry.cn-hangzhou.cr.aliyuncs.com/team/app';
      const run = await crowded.run([providerBinary], { stdin: kubeletRequest(image) });
      expect(run.stderr).toBe('');
      expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', image);
      const pages = (await crowded.requests()).filter((r) => r.action === 'ListInstance').map((r) => r.params.PageNo);
      expect(pages).toEqual(['1', '2']);
    });
  });

  it('reads metadata without a token where hardened mode is unavailable', async () => {
    await withFakeCloud({ node: { metadataMode: 'optional' } }, async (legacy) => {
      await legacy.fault({ service: 'imds', action: 'api/token', kind: 'server-error' });
      const run = await legacy.run([providerBinary], { stdin: kubeletRequest(`${ACME}/team/app`) });
      expect(run.stderr).toBe('');
      expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${ACME}/team/app`);
      const reads = (await legacy.requests()).filter((r) => r.service === 'imds' && r.method === 'GET');
      expect(reads.map((r) => r.auth)).toEqual(['imds-v1', 'imds-v1']);
    });
  });
});

describe('ACR Enterprise Edition with a config file', () => {
  it('maps a custom domain to its instance without listing instances', async () => {
    const config = writeConfig('custom.yaml', `instances:\n  - instanceId: cri-acme0000000001\n    regionId: cn-hangzhou\n    domains: ${ACME_CUSTOM}\n`);
    const run = await provide(`${ACME_CUSTOM}/team/app`, { args: [`--config=${config}`] });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, run.apiVersion, `${ACME_CUSTOM}/team/app`);
    expect(Object.keys(response.auth ?? {})).toEqual([ACME_CUSTOM]);
    expect((await apiCalls()).filter((call) => !call.startsWith('imds'))).toEqual(['cr.cn-hangzhou.aliyuncs.com GetAuthorizationToken']);
  });

  it('reads the domains of an entry without domains from ListInstanceEndpoint, in the node region', async () => {
    const config = writeConfig('bare.yaml', 'instances:\n  - instanceId: cri-acme0000000001\n');
    const run = await provide(`${ACME_CUSTOM}/team/app`, { args: ['--config', config] });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, run.apiVersion, `${ACME_CUSTOM}/team/app`);
    expect(Object.keys(response.auth ?? {}).sort()).toEqual([ACME, ACME_VPC, ACME_CUSTOM].sort());
    expect(await apiCalls()).toContain('imds GET /latest/meta-data/region-id');
    expect((await apiCalls()).filter((call) => !call.startsWith('imds'))).toEqual(['cr.cn-hangzhou.aliyuncs.com ListInstanceEndpoint', 'cr.cn-hangzhou.aliyuncs.com GetAuthorizationToken']);
  });

  it('calls the VPC API endpoint when useVpcEndpoint is set', async () => {
    const config = writeConfig('vpc.yaml', `useVpcEndpoint: true\n`);
    const run = await provide(`${ACMESH}/team/app`, { args: [`--config=${config}`] });
    expect(run.stderr).toBe('');
    expectKubeletAccepts(run.stdout, run.apiVersion, `${ACMESH}/team/app`);
    const hosts = new Set((await cloud.requests()).filter((r) => r.service === 'cr').map((r) => r.host));
    expect([...hosts]).toEqual(['cr-vpc.cn-shanghai.aliyuncs.com']);
  });

  it('uses expiringThreshold for the cache duration', async () => {
    const config = writeConfig('threshold.yaml', 'expiringThreshold: 5m\n');
    const run = await provide(`${ACME}/team/app`, { args: [`--config=${config}`] });
    const response = expectKubeletAccepts(run.stdout, run.apiVersion, `${ACME}/team/app`);
    expectCacheWindow(response.cacheDurationMs, 55);
  });

  it('refuses a config with an unknown key, naming the entry and key', async () => {
    const config = writeConfig('typo.yaml', 'instances:\n  - instanceID: cri-acme0000000001\n');
    const run = await provide(`${ACME}/team/app`, { args: [`--config=${config}`] });
    expectOneLineFailure(run, /instances\[0\]: unknown key "instanceID" \(did you mean "instanceId"\?\)/);
    expect(await cloud.requests()).toEqual([]);
  });

  it('refuses a missing config file', async () => {
    const run = await provide(`${ACME}/team/app`, { args: [`--config=${join(configDir, 'absent.yaml')}`] });
    expectOneLineFailure(run, /cannot read config file .*absent\.yaml: ENOENT/);
  });
});

describe('errors from the cloud', () => {
  it('explains a RAM role without permission, with the request id', async () => {
    await withFakeCloud({ grants: { 'acs:ram::1000000000000001:role/kubernetesworkerrole-fake': [{ actions: ['cr:ListInstance', 'cr:ListInstanceEndpoint'] }] } }, async (denied) => {
      const run = await denied.run([providerBinary], { stdin: kubeletRequest(`${ACME}/team/app`) });
      expectOneLineFailure(run, /the node's RAM role "KubernetesWorkerRole-fake" is not allowed to call cr:GetAuthorizationToken on instance cri-acme0000000001 \(Forbidden\.RAM\) \(request id [^)]+\) - add cr:GetAuthorizationToken/);
    });
  });

  it('treats HTTP 200 with IsSuccess:false as the error it is', async () => {
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', kind: 'not-success' });
    const run = await provide(`${ACME}/team/app`);
    expectOneLineFailure(run, /GetAuthorizationToken|does not exist/);
  });
});

describe('bad input', () => {
  const oversized = `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"${ACME}/a","pad":"${'x'.repeat(1024 * 1024)}"}`;
  it.each([
    ['empty stdin', '', /stdin was empty/],
    ['malformed JSON', '{"kind":"CredentialProviderRequest",', /not valid JSON/],
    ['wrong kind', kubeletRequest(`${ACME}/a`).replace('CredentialProviderRequest', 'Pod'), /kind is "Pod"/],
    ['wrong apiVersion', kubeletRequest(`${ACME}/a`, 'credentialprovider.kubelet.k8s.io/v2'), /apiVersion .*v2" is not supported/],
    ['missing image', JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1' }), /no image/],
    ['oversized', oversized, /larger than 1048576 bytes/],
  ])('%s: one line on stderr, exit 1, nothing on stdout, no API call', async (_name, stdin, message) => {
    const run = await cloud.run([providerBinary], { stdin });
    expectOneLineFailure(run, message);
    expect(await cloud.requests()).toEqual([]);
  });

  it('refuses unknown arguments', async () => {
    const run = await cloud.run([providerBinary, '--bogus'], { stdin: kubeletRequest(`${ACME}/a`) });
    expectOneLineFailure(run, /unknown argument "--bogus"/);
  });
});

