// Every identity of the cross-account guide, from the built binary against the fake cloud,
// asserting which API calls were made as whom.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { expectCacheWindow, expectOneLineFailure } from '../support/expectations.js';
import type { LoggedRequest } from '../support/cloud.js';
import { useFakeCloud } from '../support/fake-node.js';
import { expectKubeletAccepts } from '../support/kubelet-rules.js';

const NODE_ACCOUNT = '1000000000000001';
const OWNER_ACCOUNT = '2000000000000002';
const WORKER_ROLE = `acs:ram::${NODE_ACCOUNT}:role/kubernetesworkerrole-fake`;
const PULLER_ROLE = `acs:ram::${OWNER_ACCOUNT}:role/acr-puller`;
const GUARDED_ROLE = `acs:ram::${OWNER_ACCOUNT}:role/acr-puller-guarded`;
const RRSA_ROLE = `acs:ram::${NODE_ACCOUNT}:role/team-app-pull`;
const RRSA_CHAINED_ROLE = `acs:ram::${NODE_ACCOUNT}:role/team-app-hop`;
const OIDC_PROVIDER = `acs:ram::${NODE_ACCOUNT}:oidc-provider/ack-rrsa-cfake`;
const ISSUER = 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/cfake';
const AUDIENCE = 'sts.aliyuncs.com';
const SUBJECT = 'system:serviceaccount:team:app';
const ACCESS_KEY = { accessKeyId: 'LTAI5tFakeUser0001', accessKeySecret: 'fake-user-secret-0001', accountId: OWNER_ACCOUNT, root: false };

const OWNED = 'owned-registry.cn-shanghai.cr.aliyuncs.com';
const OWNED_ID = 'cri-owned000000001';
const HANGZHOU = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const SHANGHAI = 'acmesh-registry.cn-shanghai.cr.aliyuncs.com';

const dir = mkdtempSync(join(tmpdir(), 'acr-provider-identities-'));
const cloud = useFakeCloud({
  instances: [
    { instanceId: 'cri-acme0000000001', instanceName: 'acme', regionId: 'cn-hangzhou', accountId: NODE_ACCOUNT, customDomains: ['registry.acme.example'] },
    { instanceId: 'cri-acmesh00000001', instanceName: 'acmesh', regionId: 'cn-shanghai', accountId: NODE_ACCOUNT },
    { instanceId: OWNED_ID, instanceName: 'owned', regionId: 'cn-shanghai', accountId: OWNER_ACCOUNT },
  ],
  accessKeys: [ACCESS_KEY],
  roles: [
    { arn: PULLER_ROLE, trustedPrincipals: [WORKER_ROLE, RRSA_CHAINED_ROLE], maxSessionDuration: 3600 },
    { arn: GUARDED_ROLE, trustedPrincipals: [WORKER_ROLE], externalId: 'acme-external-id', maxSessionDuration: 3600 },
    { arn: RRSA_ROLE, trustedPrincipals: [], maxSessionDuration: 3600, oidcTrust: { oidcProviderArn: OIDC_PROVIDER, subjects: [SUBJECT] } },
    { arn: RRSA_CHAINED_ROLE, trustedPrincipals: [], maxSessionDuration: 3600, oidcTrust: { oidcProviderArn: OIDC_PROVIDER, subjects: [SUBJECT] } },
  ],
  oidcProviders: [{ arn: OIDC_PROVIDER, issuer: ISSUER, audiences: [AUDIENCE] }],
  grants: {
    [PULLER_ROLE]: [{ actions: ['cr:GetAuthorizationToken'], instanceIds: [OWNED_ID] }],
    [GUARDED_ROLE]: [{ actions: ['cr:GetAuthorizationToken'], instanceIds: [OWNED_ID] }],
    [RRSA_ROLE]: [{ actions: ['cr:*'] }],
    [ACCESS_KEY.accessKeyId]: [{ actions: ['cr:GetAuthorizationToken'], instanceIds: [OWNED_ID] }],
  },
});

function config(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** A service account token as the kubelet's TokenRequest makes it (the fake does not check the signature). */
function serviceAccountToken(subject = SUBJECT): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', kid: 'fake' })}.${part({ iss: ISSUER, aud: [AUDIENCE], sub: subject, iat: now, exp: now + 3600 })}.c2lnbmF0dXJl`;
}

async function provide(image: string, options: { args?: string[]; extra?: Record<string, unknown>; env?: Record<string, string> } = {}) {
  return cloud.run([providerBinary, ...(options.args ?? [])], { stdin: kubeletRequest(image, 'credentialprovider.kubelet.k8s.io/v1', options.extra), env: options.env });
}

/** The cloud calls of the last run as "action as principal" (IMDS reads left out). */
async function callsAsWhom(): Promise<string[]> {
  const requests: LoggedRequest[] = await cloud.requests();
  return requests.filter((r) => r.service !== 'imds').map((r) => `${r.host} ${r.action} as ${r.principal ?? 'anonymous'}`.toLowerCase());
}

const issuedTo = async (password: string) => (await cloud.issuedTokens()).find((token) => token.password === password);

describe('cross-account AssumeRole on top of the worker role', () => {
  it('assumes the owner account role and fetches the token with it', async () => {
    const path = config('assume.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    assumeRoleARN: ${PULLER_ROLE}\n    expireDuration: 900\n`);
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${path}`] });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${OWNED}/team/app`);
    expect(await callsAsWhom()).toEqual([`sts.cn-shanghai.aliyuncs.com AssumeRole as ${WORKER_ROLE}`, `cr.cn-shanghai.aliyuncs.com GetAuthorizationToken as ${PULLER_ROLE}`].map((s) => s.toLowerCase()));
    const assume = (await cloud.requests()).find((r) => r.action === 'AssumeRole');
    expect(assume?.params).toMatchObject({ RoleArn: PULLER_ROLE, DurationSeconds: '900', RoleSessionName: 'aliyun-acr-credential-provider' });
    expect(assume?.params.ExternalId).toBeUndefined();
    // The token dies with the 15 min STS session: cached for half of it, not 45 min.
    expectCacheWindow(response.cacheDurationMs, 7.5);
    expect((await issuedTo(response.auth[OWNED]?.password ?? ''))?.principal.toLowerCase()).toBe(PULLER_ROLE);
  });

  it('passes the ExternalId the role requires', async () => {
    const path = config('external.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    assumeRoleARN: ${GUARDED_ROLE}\n    externalId: acme-external-id\n`);
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${path}`] });
    expect(run.stderr).toBe('');
    expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${OWNED}/team/app`);
    expect((await cloud.requests()).find((r) => r.action === 'AssumeRole')?.params).toMatchObject({ RoleArn: GUARDED_ROLE, ExternalId: 'acme-external-id', DurationSeconds: '3600' });
  });

  it('says what to fix when the ExternalId is wrong', async () => {
    const path = config('external-wrong.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    assumeRoleARN: ${GUARDED_ROLE}\n    externalId: wrong-id\n`);
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${path}`] });
    expectOneLineFailure(run, /the node's RAM role "KubernetesWorkerRole-fake" cannot assume acs:ram::2000000000000002:role\/acr-puller-guarded: .*request id .*trust policy/);
  });

  it('explains a role without permission on the instance', async () => {
    const path = config('no-permission.yaml', `instances:\n  - instanceId: cri-acmesh00000001\n    regionId: cn-shanghai\n    domains: ${SHANGHAI}\n    assumeRoleARN: ${PULLER_ROLE}\n`);
    const run = await provide(`${SHANGHAI}/team/app`, { args: [`--config=${path}`] });
    expectOneLineFailure(run, /the role acs:ram::2000000000000002:role\/acr-puller \(assumed by the node's RAM role "KubernetesWorkerRole-fake"\) is not allowed to call cr:GetAuthorizationToken on instance cri-acmesh00000001 \((Forbidden\.RAM|INSTANCE_NOT_EXIST)\)|does not exist in region cn-shanghai or is not visible to the role/);
  });
});

describe('pod-level identity (RRSA) through KEP-4412 service account tokens', () => {
  const rrsaConfig = () => config('rrsa.yaml', `rrsa:\n  oidcProviderArn: ${OIDC_PROVIDER}\n`);

  it('exchanges the token for the role named by the service account annotation', async () => {
    const token = serviceAccountToken();
    const run = await provide(`${HANGZHOU}/team/app`, {
      args: [`--config=${rrsaConfig()}`],
      extra: { serviceAccountToken: token, serviceAccountAnnotations: { 'aliyun-acr-credential-provider/role-arn': RRSA_ROLE } },
    });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${HANGZHOU}/team/app`);
    for (const credential of Object.values(response.auth)) expect(credential.password).not.toBe(token);
    const calls = await callsAsWhom();
    expect(calls[0]).toBe('sts.cn-hangzhou.aliyuncs.com assumerolewithoidc as anonymous');
    expect(calls.slice(1).every((call) => call.endsWith(`as ${RRSA_ROLE}`))).toBe(true);
    expect((await cloud.requests()).some((r) => r.service === 'imds')).toBe(false);
    const oidc = (await cloud.requests())[0];
    expect(oidc?.params).toMatchObject({ OIDCProviderArn: OIDC_PROVIDER, RoleArn: RRSA_ROLE });
    expect(JSON.stringify(oidc)).not.toContain(token);
  });

  it('chains into the registry owner account role', async () => {
    const path = config('rrsa-chain.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    rrsaRoleARN: ${RRSA_CHAINED_ROLE}\n    rrsaOIDCProviderRoleARN: ${OIDC_PROVIDER}\n    assumeRoleARN: ${PULLER_ROLE}\n`);
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${path}`], extra: { serviceAccountToken: serviceAccountToken() } });
    expect(run.stderr).toBe('');
    expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${OWNED}/team/app`);
    expect(await callsAsWhom()).toEqual(
      [`sts.cn-shanghai.aliyuncs.com AssumeRoleWithOIDC as anonymous`, `sts.cn-shanghai.aliyuncs.com AssumeRole as ${RRSA_CHAINED_ROLE}`, `cr.cn-shanghai.aliyuncs.com GetAuthorizationToken as ${PULLER_ROLE}`].map((s) => s.toLowerCase()),
    );
  });

  it('keeps using the node identity for requests without a token', async () => {
    const run = await provide(`${HANGZHOU}/team/app`, { args: [`--config=${rrsaConfig()}`] });
    expect(run.stderr).toBe('');
    expect((await callsAsWhom()).every((call) => call.endsWith(`as ${WORKER_ROLE}`))).toBe(true);
  });

  it('refuses a request without a token when the config requires a service account', async () => {
    const path = config('rrsa-required.yaml', `rrsa:\n  oidcProviderArn: ${OIDC_PROVIDER}\n  roleArn: ${RRSA_ROLE}\n  requireServiceAccount: true\n`);
    const run = await provide(`${HANGZHOU}/team/app`, { args: [`--config=${path}`] });
    expectOneLineFailure(run, /requires a service account token .*tokenAttributes/);
    expect(await cloud.requests()).toEqual([]);
  });

  it('pulls as the node for a service account without a role', async () => {
    const run = await provide(`${HANGZHOU}/team/app`, { args: [`--config=${rrsaConfig()}`], extra: { serviceAccountToken: serviceAccountToken() } });
    expect(run.stderr).toBe('');
    expect((await callsAsWhom()).every((call) => call.endsWith(`as ${WORKER_ROLE}`))).toBe(true);
  });

  it('says which service account has no role when the config requires one', async () => {
    const path = config('rrsa-required-no-role.yaml', `rrsa:\n  oidcProviderArn: ${OIDC_PROVIDER}\n  requireServiceAccount: true\n`);
    const run = await provide(`${HANGZHOU}/team/app`, { args: [`--config=${path}`], extra: { serviceAccountToken: serviceAccountToken() } });
    expectOneLineFailure(run, /no RRSA role for service account team\/app, and the config requires one .* - annotate the service account with aliyun-acr-credential-provider\/role-arn/);
    expect(await cloud.requests()).toEqual([]);
  });

  it('explains a token the role does not trust, without showing it', async () => {
    const token = serviceAccountToken('system:serviceaccount:other:intruder');
    const run = await provide(`${HANGZHOU}/team/app`, {
      args: [`--config=${rrsaConfig()}`],
      extra: { serviceAccountToken: token, serviceAccountAnnotations: { 'aliyun-acr-credential-provider/role-arn': RRSA_ROLE } },
    });
    expectOneLineFailure(run, /the token of service account other\/intruder cannot assume acs:ram::1000000000000001:role\/team-app-pull/);
    expect(run.stderr).not.toContain(token.split('.')[1]);
  });
});

describe('AccessKey pair', () => {
  const text = `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    customAccessKey: ${ACCESS_KEY.accessKeyId}\n    customAccessKeySecret: ${ACCESS_KEY.accessKeySecret}\n`;

  it('uses the pair from a config file only its owner can read', async () => {
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${config('ak.yaml', text, 0o600)}`] });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${OWNED}/team/app`);
    // An AccessKey does not expire: the 1 h token does.
    expectCacheWindow(response.cacheDurationMs, 45);
    expect(await callsAsWhom()).toEqual([`cr.cn-shanghai.aliyuncs.com GetAuthorizationToken as ${ACCESS_KEY.accessKeyId}`.toLowerCase()]);
    expect((await cloud.requests()).some((r) => r.service === 'imds')).toBe(false);
  });

  it('refuses the pair in a file others can read', async () => {
    const run = await provide(`${OWNED}/team/app`, { args: [`--config=${config('ak-shared.yaml', text, 0o644)}`] });
    expectOneLineFailure(run, /instances\[0\] holds an AccessKey secret, but the file is readable by others \(mode 0644\) - chmod 600/);
    expect(run.stderr).not.toContain(ACCESS_KEY.accessKeySecret);
    expect(await cloud.requests()).toEqual([]);
  });

  it('uses ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET from the environment', async () => {
    const path = config('ak-env.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n`);
    const run = await provide(`${OWNED}/team/app`, {
      args: [`--config=${path}`],
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: ACCESS_KEY.accessKeySecret },
    });
    expect(run.stderr).toBe('');
    expect(await callsAsWhom()).toEqual([`cr.cn-shanghai.aliyuncs.com GetAuthorizationToken as ${ACCESS_KEY.accessKeyId}`.toLowerCase()]);
  });

  it('explains a wrong secret without showing it', async () => {
    const run = await provide(`${OWNED}/team/app`, {
      args: [`--config=${config('ak-env2.yaml', `instances:\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n`)}`],
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'definitely-wrong-secret' },
    });
    expectOneLineFailure(run, /cr.cn-shanghai.aliyuncs.com rejected the credentials of the AccessKey LTAI\*\*\*\*0001 from the environment \(SignatureDoesNotMatch\)/);
    expect(run.stderr).not.toContain('definitely-wrong-secret');
  });
});

describe('many instances in one config', () => {
  it('serves two Enterprise instances in two regions, each with its own identity', async () => {
    const path = config(
      'many.yaml',
      `instances:\n  - instanceId: cri-acme0000000001\n    regionId: cn-hangzhou\n    domains: ${HANGZHOU},registry.acme.example\n  - instanceId: ${OWNED_ID}\n    regionId: cn-shanghai\n    domains: ${OWNED}\n    assumeRoleARN: ${PULLER_ROLE}\n`,
    );
    const first = await provide('registry.acme.example/team/app', { args: [`--config=${path}`] });
    expect(first.stderr).toBe('');
    expect(Object.keys(expectKubeletAccepts(first.stdout, 'credentialprovider.kubelet.k8s.io/v1', 'registry.acme.example/team/app').auth).sort()).toEqual([HANGZHOU, 'registry.acme.example']);
    expect(await callsAsWhom()).toEqual([`cr.cn-hangzhou.aliyuncs.com GetAuthorizationToken as ${WORKER_ROLE}`.toLowerCase()]);

    await cloud.clearRequests();
    await cloud.clearProviderCache();
    const second = await provide(`${OWNED}/team/app`, { args: [`--config=${path}`] });
    expect(second.stderr).toBe('');
    expect(Object.keys(expectKubeletAccepts(second.stdout, 'credentialprovider.kubelet.k8s.io/v1', `${OWNED}/team/app`).auth)).toEqual([OWNED]);
    expect(await callsAsWhom()).toEqual([`sts.cn-shanghai.aliyuncs.com AssumeRole as ${WORKER_ROLE}`, `cr.cn-shanghai.aliyuncs.com GetAuthorizationToken as ${PULLER_ROLE}`].map((s) => s.toLowerCase()));
  });
});

