/**
 * Tests of the fake cloud itself, driven by the real Alibaba SDKs from inside its
 * namespace (test/fake-cloud/clients/*), so the fake is checked against what the SDKs send.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiCalls, runClient } from '../support/clients.js';
import { startFakeCloud, type FakeCloud, type LoggedRequest } from '../support/cloud.js';
import type { AssumeRoleOutcome, AssumeRoleSpec } from './clients/assume-role.js';
import type { ImdsResult, ImdsStep } from './clients/imds-raw.js';
import type { RegistryTokenRequest, RegistryTokenResult } from './clients/registry-token.js';
import type { RpcCall, RpcOutcome } from './clients/rpc-sdk.js';
import { installHostsFile } from './hosts.js';

const ACCOUNT = '1000000000000001';
const PARTNER_ACCOUNT = '2000000000000002';
const NODE_ROLE = 'KubernetesWorkerRole-fake';
const NODE_ROLE_ARN = `acs:ram::${ACCOUNT}:role/kubernetesworkerrole-fake`;
const ACME = 'cri-acme0000000001';
const ACMESH = 'cri-acmesh00000001';
const PARTNER = 'cri-partner0000001';
const CI_USER = { accessKeyId: 'LTAIfakeciuser00000001', accessKeySecret: 'ci-user-secret-0000000000000001' };
const PARTNER_ROOT = { accessKeyId: 'LTAIfakepartnerroot001', accessKeySecret: 'partner-root-secret-000000000001' };
/** May get registry passwords but never initialised a Personal Edition login. */
const PE_STRANGER = { accessKeyId: 'LTAIfakepestranger0001', accessKeySecret: 'pe-stranger-secret-00000000000001' };
const PULLER_ROLE = `acs:ram::${PARTNER_ACCOUNT}:role/acr-puller`;
const PULLER_EXT_ROLE = `acs:ram::${PARTNER_ACCOUNT}:role/acr-puller-ext`;
const RRSA_ROLE = `acs:ram::${ACCOUNT}:role/rrsa-puller`;
const OIDC_PROVIDER = `acs:ram::${ACCOUNT}:oidc-provider/ack-rrsa-cfake`;
const OIDC_ISSUER = 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/cfake';
const OIDC_SUBJECT = 'system:serviceaccount:kube-system:acr-puller';
const STS_ENDPOINT = 'sts.cn-hangzhou.aliyuncs.com';
/** The Personal Edition token call as cr-20160607 sends it (reference §2.1). */
const PE_TOKEN: RpcCall = { action: 'GetAuthorizationToken', version: '2016-06-07', roa: { method: 'GET', pathname: '/tokens' } };
const EE_TOKEN: RpcCall = { action: 'GetAuthorizationToken', query: { InstanceId: ACME } };

const hz = (n: number) => ({ instanceId: `cri-acmehz${String(n).padStart(8, '0')}`, instanceName: `acmehz${n}`, regionId: 'cn-hangzhou', accountId: ACCOUNT });

let cloud: FakeCloud;
let optionalCloud: FakeCloud;
let roleless: FakeCloud;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fake-cloud-test-'));
  [cloud, optionalCloud, roleless] = await Promise.all([
    startFakeCloud({
      instances: [
        { instanceId: ACME, instanceName: 'acme', regionId: 'cn-hangzhou', accountId: ACCOUNT, customDomains: ['registry.acme.example'] },
        { instanceId: ACMESH, instanceName: 'acmesh', regionId: 'cn-shanghai', accountId: ACCOUNT },
        hz(1),
        hz(2),
        hz(3),
        { instanceId: PARTNER, instanceName: 'partner', regionId: 'cn-hangzhou', accountId: PARTNER_ACCOUNT },
      ],
      accessKeys: [
        { ...CI_USER, accountId: ACCOUNT },
        { ...PARTNER_ROOT, accountId: PARTNER_ACCOUNT, root: true },
        { ...PE_STRANGER, accountId: ACCOUNT },
      ],
      // The node role keeps its default cr:* grant.
      grants: {
        [CI_USER.accessKeyId]: [{ actions: ['cr:ListInstance'] }],
        [PULLER_ROLE]: [{ actions: ['cr:GetAuthorizationToken'], instanceIds: [PARTNER] }],
        [PULLER_EXT_ROLE]: [{ actions: ['cr:GetAuthorizationToken'] }],
        [RRSA_ROLE]: [{ actions: ['cr:GetAuthorizationToken'] }],
        [PE_STRANGER.accessKeyId]: [{ actions: ['cr:GetAuthorizationToken'] }],
      },
      roles: [
        { arn: PULLER_ROLE, trustedPrincipals: [`acs:ram::${ACCOUNT}:root`] },
        { arn: PULLER_EXT_ROLE, trustedPrincipals: [CI_USER.accessKeyId], externalId: 'abcd-1234' },
        { arn: RRSA_ROLE, oidcTrust: { oidcProviderArn: OIDC_PROVIDER, subjects: [OIDC_SUBJECT] } },
      ],
      oidcProviders: [{ arn: OIDC_PROVIDER, issuer: OIDC_ISSUER, audiences: ['sts.aliyuncs.com'] }],
      // PULLER_ROLE has a login but only an instance-scoped grant, which leaves Personal Edition out.
      personalRegistry: { regions: ['cn-hangzhou', 'cn-shanghai'], users: [NODE_ROLE_ARN, PULLER_ROLE] },
    }),
    startFakeCloud({ node: { metadataMode: 'optional', credentialTtlSeconds: 1200 } }),
    startFakeCloud({ node: { roleName: null } }),
  ]);
});

afterAll(async () => {
  await Promise.all([cloud?.stop(), optionalCloud?.stop(), roleless?.stop()]);
  await rm(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  await cloud.clearRequests();
  await cloud.clearFaults();
});

const imds = (target: FakeCloud, steps: ImdsStep[]) => runClient<ImdsResult[]>(target, 'imds-raw.ts', steps);
const assumeRole = (spec: AssumeRoleSpec) => runClient<AssumeRoleOutcome>(cloud, 'assume-role.ts', spec);
const registryTokens = (requests: RegistryTokenRequest[]) => runClient<RegistryTokenResult[]>(cloud, 'registry-token.ts', requests);

function body(outcome: RpcOutcome | undefined): Record<string, unknown> {
  if (!outcome?.ok) throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome.body;
}

function failure(outcome: RpcOutcome | undefined) {
  if (!outcome || outcome.ok) throw new Error(`expected failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Log entries without the IMDS traffic of the credentials library. */
const apiEntries = (log: LoggedRequest[]) => log.filter((entry) => entry.service !== 'imds');

const TOKEN_TTL = { 'X-aliyun-ecs-metadata-token-ttl-seconds': '21600' };
const CREDENTIALS_PATH = `/latest/meta-data/ram/security-credentials/${NODE_ROLE}`;

describe('ECS metadata service', () => {
  it('hands out role credentials in hardened mode and refuses token-less reads', async () => {
    const results = await imds(cloud, [
      { method: 'PUT', path: '/latest/api/token', headers: TOKEN_TTL },
      { method: 'GET', path: '/latest/meta-data/region-id', tokenFromStep: 0 },
      { method: 'GET', path: '/latest/meta-data/instance-id', tokenFromStep: 0 },
      { method: 'GET', path: '/latest/meta-data/owner-account-id', tokenFromStep: 0 },
      { method: 'GET', path: '/latest/meta-data/ram/security-credentials/', tokenFromStep: 0 },
      { method: 'GET', path: CREDENTIALS_PATH, tokenFromStep: 0 },
      { method: 'GET', path: '/latest/meta-data/region-id' },
      { method: 'GET', path: '/latest/meta-data/region-id', headers: { 'X-aliyun-ecs-metadata-token': 'not-a-token' } },
      { method: 'PUT', path: '/latest/api/token', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '0' } },
      { method: 'PUT', path: '/latest/api/token', headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '21601' } },
      { method: 'PUT', path: '/latest/api/token', headers: TOKEN_TTL },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 401, 401, 400, 400, 200]);
    expect(results[10]?.body).not.toBe(results[0]?.body);
    expect(results.slice(1, 5).map((r) => r.body)).toEqual(['cn-hangzhou', 'i-fakenode0001', ACCOUNT, NODE_ROLE]);
    const creds = JSON.parse(results[5]?.body ?? '') as Record<string, string>;
    expect(creds).toMatchObject({ Code: 'Success', AccessKeyId: expect.stringMatching(/^STS\./) });
    expect(creds.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(creds.Expiration ?? '') - Date.now()).toBeGreaterThan(21500 * 1000);

    const log = await cloud.requests();
    expect(log.map((e) => e.auth)).toEqual(['none', 'imds-token', 'imds-token', 'imds-token', 'imds-token', 'imds-token', 'imds-v1', 'imds-token', 'none', 'none', 'none']);
    expect(log[5]).toMatchObject({ action: `ram/security-credentials/${NODE_ROLE}`, principal: NODE_ROLE_ARN });
    const logText = JSON.stringify(log);
    for (const secret of [creds.AccessKeySecret, creds.SecurityToken, results[0]?.body]) expect(logText).not.toContain(secret);
  });

  it('serves token-less reads in optional mode and 404 without an attached role', async () => {
    const [optional, noRole] = await Promise.all([
      imds(optionalCloud, [{ method: 'GET', path: '/latest/meta-data/ram/security-credentials/' }, { method: 'GET', path: CREDENTIALS_PATH }]),
      imds(roleless, [
        { method: 'PUT', path: '/latest/api/token', headers: TOKEN_TTL },
        { method: 'GET', path: '/latest/meta-data/ram/security-credentials/', tokenFromStep: 0 },
      ]),
    ]);
    expect(optional.map((r) => r.status)).toEqual([200, 200]);
    expect(optional[0]?.body).toBe(NODE_ROLE);
    expect(noRole.map((r) => r.status)).toEqual([200, 404]);
  });
});

describe('Container Registry API', () => {
  it('issues a registry password for the node role and logs who asked', async () => {
    const started = Date.now();
    const [v3, v1] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACME } }] }),
      apiCalls(cloud, {
        credential: { type: 'ecs_ram_role' },
        endpoint: 'cr-vpc.cn-hangzhou.aliyuncs.com',
        signatureAlgorithm: 'v2',
        calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACME } }],
      }),
    ]);
    for (const outcome of [v3[0], v1[0]]) {
      const b = body(outcome);
      expect(b).toMatchObject({ Code: 'success', IsSuccess: true, TempUsername: 'cr_temp_user', AuthorizationToken: expect.any(String) });
      // 1 h: the node's STS credentials live 6 h.
      expect(b.ExpireTime as number).toBeGreaterThanOrEqual(started + 3600_000 - 1000);
      expect(b.ExpireTime as number).toBeLessThanOrEqual(Date.now() + 3600_000);
    }

    const entries = apiEntries(await cloud.requests());
    expect(entries.map((e) => [e.host, e.auth, e.status]).sort()).toEqual([
      ['cr-vpc.cn-hangzhou.aliyuncs.com', 'HMAC-SHA1', 200],
      ['cr.cn-hangzhou.aliyuncs.com', 'ACS3-HMAC-SHA256', 200],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ service: 'cr', action: 'GetAuthorizationToken', version: '2018-12-01', params: { InstanceId: ACME }, principal: NODE_ROLE_ARN });
      expect(entry.accessKeyId).toMatch(/^STS\./);
    }
    const tokens = await cloud.issuedTokens();
    expect(tokens.map((t) => t.password).sort()).toEqual([body(v3[0]).AuthorizationToken, body(v1[0]).AuthorizationToken].sort());
    for (const token of tokens) expect(token).toMatchObject({ edition: 'enterprise', instanceId: ACME, regionId: 'cn-hangzhou', principal: NODE_ROLE_ARN });
  });

  it('limits a password to the lifetime of the STS credentials that asked for it', async () => {
    const [outcome] = await apiCalls(optionalCloud, { credential: { type: 'ecs_ram_role' }, calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACME } }] });
    const expireTime = body(outcome).ExpireTime as number;
    expect(expireTime - Date.now()).toBeGreaterThan(1100_000);
    expect(expireTime - Date.now()).toBeLessThanOrEqual(1200_000);
  });

  it('shows instances per region and account, pages them, and lists endpoint domains', async () => {
    const [hangzhou, shanghai] = await Promise.all([
      apiCalls(cloud, {
        credential: { type: 'ecs_ram_role' },
        calls: [
          { action: 'ListInstance', query: { PageNo: '1', PageSize: '3' } },
          { action: 'ListInstance', query: { PageNo: '2', PageSize: '3' } },
          { action: 'ListInstance' },
          { action: 'ListInstanceEndpoint', query: { InstanceId: ACME, ModuleName: 'Registry' } },
          { action: 'GetInstance', query: { InstanceId: ACME } },
          { action: 'GetAuthorizationToken', query: { InstanceId: ACMESH } },
          { action: 'GetAuthorizationToken', query: { InstanceId: 'cri-doesnotexist01' } },
          { action: 'GetAuthorizationToken', query: { InstanceId: PARTNER } },
        ],
      }),
      apiCalls(cloud, {
        credential: { type: 'ecs_ram_role' },
        endpoint: 'cr.cn-shanghai.aliyuncs.com',
        calls: [{ action: 'ListInstance' }, { action: 'GetAuthorizationToken', query: { InstanceId: ACMESH } }],
      }),
    ]);
    const [page1, page2, all, endpoints, instance, otherRegion, unknown, otherAccount] = hangzhou.map(body);
    expect(page1).toMatchObject({ Code: 'success', IsSuccess: true, PageNo: 1, PageSize: 3, TotalCount: 4 });
    expect(page2).toMatchObject({ PageNo: 2, PageSize: 3, TotalCount: 4 });
    const ids = (b: Record<string, unknown> | undefined) => (b?.Instances as { InstanceId: string }[]).map((i) => i.InstanceId);
    expect([...ids(page1), ...ids(page2)]).toEqual([ACME, hz(1).instanceId, hz(2).instanceId, hz(3).instanceId]);
    expect(all).toMatchObject({ PageNo: 1, PageSize: 30, TotalCount: 4 });
    expect((all?.Instances as Record<string, unknown>[])[0]).toMatchObject({
      InstanceId: ACME,
      InstanceName: 'acme',
      RegionId: 'cn-hangzhou',
      InstanceStatus: 'RUNNING',
      CreateTime: expect.stringMatching(/^\d{13}$/),
      ModifiedTime: expect.stringMatching(/^\d{13}$/),
    });
    expect(endpoints?.Endpoints).toEqual([
      expect.objectContaining({
        EndpointType: 'internet',
        Domains: [
          { Domain: 'acme-registry.cn-hangzhou.cr.aliyuncs.com', Type: 'SYSTEM' },
          { Domain: 'registry.acme.example', Type: 'USER' },
        ],
      }),
      expect.objectContaining({ EndpointType: 'vpc', Domains: [{ Domain: 'acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com', Type: 'SYSTEM' }] }),
    ]);
    expect(instance).toMatchObject({ InstanceId: ACME, CreateTime: expect.any(Number) });
    for (const notFound of [otherRegion, unknown, otherAccount]) {
      expect(notFound).toEqual({ RequestId: expect.any(String), Code: 'INSTANCE_NOT_EXIST', IsSuccess: false });
    }

    const [shanghaiList, shanghaiToken] = shanghai.map(body);
    expect(ids(shanghaiList)).toEqual([ACMESH]);
    expect(shanghaiToken).toMatchObject({ IsSuccess: true });
  });

  it('refuses bad signatures, unknown keys, replays, stale timestamps and missing rights', async () => {
    const [wrongSecret, unknownKey, ciUser] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'access_key', accessKeyId: CI_USER.accessKeyId, accessKeySecret: 'wrong' }, calls: [{ action: 'ListInstance' }] }),
      apiCalls(cloud, { credential: { type: 'access_key', accessKeyId: 'LTAIunknown00000000001', accessKeySecret: 'x' }, calls: [{ action: 'ListInstance' }] }),
      apiCalls(cloud, {
        credential: { type: 'access_key', ...CI_USER },
        calls: [
          { action: 'ListInstance', nonce: 'fixed-nonce-1' },
          { action: 'ListInstance', nonce: 'fixed-nonce-1' },
          { action: 'ListInstance', timestamp: '2020-01-01T00:00:00Z' },
          { action: 'GetAuthorizationToken', query: { InstanceId: ACME } },
        ],
      }),
    ]);
    const mismatch = failure(wrongSecret[0]);
    expect(mismatch).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 400 });
    expect(mismatch.message).toContain('server string to sign is:ACS3-HMAC-SHA256\n');
    expect(failure(unknownKey[0])).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
    expect(body(ciUser[0])).toMatchObject({ IsSuccess: true, TotalCount: 4 });
    expect(failure(ciUser[1])).toMatchObject({ code: 'SignatureNonceUsed', statusCode: 400 });
    expect(failure(ciUser[2])).toMatchObject({ code: 'InvalidTimeStamp.Expired', statusCode: 400 });
    const forbidden = failure(ciUser[3]);
    expect(forbidden).toMatchObject({ code: 'Forbidden.RAM', statusCode: 403 });
    expect(forbidden.accessDeniedDetail).toMatchObject({ AuthAction: 'cr:GetAuthorizationToken', AuthPrincipalDisplayName: CI_USER.accessKeyId });

    const errors = apiEntries(await cloud.requests()).map((e) => e.errorCode ?? 'ok');
    expect(errors.sort()).toEqual(['Forbidden.RAM', 'InvalidAccessKeyId.NotFound', 'InvalidTimeStamp.Expired', 'SignatureDoesNotMatch', 'SignatureNonceUsed', 'ok'].sort());
  });

  it('requires the security token of STS credentials and refuses expired ones', async () => {
    await cloud.fault({ service: 'imds', action: `ram/security-credentials/${NODE_ROLE}`, kind: 'expired-token', times: 1 });
    const raw = await imds(cloud, [
      { method: 'PUT', path: '/latest/api/token', headers: TOKEN_TTL },
      { method: 'GET', path: CREDENTIALS_PATH, tokenFromStep: 0 },
    ]);
    const expired = JSON.parse(raw[1]?.body ?? '') as Record<string, string>;
    expect(Date.parse(expired.Expiration ?? '')).toBeLessThan(Date.now());
    const { AccessKeyId: accessKeyId = '', AccessKeySecret: accessKeySecret = '', SecurityToken: securityToken = '' } = expired;
    const call = { action: 'ListInstance' };
    const [withoutToken, wrongToken, expiredToken] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'access_key', accessKeyId, accessKeySecret }, calls: [call] }),
      apiCalls(cloud, { credential: { type: 'sts', accessKeyId, accessKeySecret, securityToken: 'CAISwrong' }, calls: [call] }),
      apiCalls(cloud, { credential: { type: 'sts', accessKeyId, accessKeySecret, securityToken }, calls: [call] }),
    ]);
    expect(failure(withoutToken[0]).code).toBe('MissingSecurityToken');
    expect(failure(wrongToken[0]).code).toBe('InvalidSecurityToken.MismatchWithAccessKey');
    expect(failure(expiredToken[0])).toMatchObject({ code: 'InvalidSecurityToken.Expired', statusCode: 400 });
  });
});

describe('Container Registry Personal Edition API', () => {
  it('issues a password for the node role on the Enterprise hosts, no longer than its STS credentials', async () => {
    const started = Date.now();
    const [longLived, shortLived] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, endpoint: 'cr-vpc.cn-hangzhou.aliyuncs.com', calls: [PE_TOKEN] }),
      // Default scenario: every test region serves Personal Edition; credentials live 20 min.
      apiCalls(optionalCloud, { credential: { type: 'ecs_ram_role' }, endpoint: 'cr.cn-beijing.aliyuncs.com', calls: [PE_TOKEN] }),
    ]);
    const shape = { data: { authorizationToken: expect.any(String), tempUserName: 'cr_temp_user', expireDate: expect.any(Number) }, requestId: expect.any(String) };
    const long = body(longLived[0]);
    const short = body(shortLived[0]);
    expect(long).toEqual(shape);
    expect(short).toEqual(shape);
    const expireDate = (b: Record<string, unknown>) => (b.data as { expireDate: number }).expireDate;
    expect(expireDate(long)).toBeGreaterThanOrEqual(started + 3600_000 - 1000);
    expect(expireDate(long)).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(expireDate(short)).toBeGreaterThan(started + 1100_000);
    expect(expireDate(short)).toBeLessThanOrEqual(Date.now() + 1200_000);

    const [entry, ...others] = apiEntries(await cloud.requests());
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      service: 'cr',
      host: 'cr-vpc.cn-hangzhou.aliyuncs.com',
      method: 'GET',
      path: '/tokens',
      action: 'GetAuthorizationToken',
      version: '2016-06-07',
      auth: 'ACS3-HMAC-SHA256',
      params: {},
      principal: NODE_ROLE_ARN,
      status: 200,
    });
    expect(entry?.accessKeyId).toMatch(/^STS\./);
    const password = (long.data as { authorizationToken: string }).authorizationToken;
    expect((await cloud.issuedTokens()).at(-1)).toEqual({
      edition: 'personal',
      instanceId: '',
      regionId: 'cn-hangzhou',
      username: 'cr_temp_user',
      password,
      principal: NODE_ROLE_ARN,
      principalKind: 'role',
      accountId: ACCOUNT,
      issuedAtMs: expect.any(Number),
      expireTimeMs: expireDate(long),
      logins: 0,
    });
    expect((await optionalCloud.issuedTokens()).at(-1)).toMatchObject({ edition: 'personal', regionId: 'cn-beijing', expireTimeMs: expireDate(short) });
  });

  it('refuses principals without a login or the right, and regions without Personal Edition', async () => {
    const [stranger, ciUser, puller, otherRegion] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'access_key', ...PE_STRANGER }, calls: [PE_TOKEN] }),
      apiCalls(cloud, { credential: { type: 'access_key', ...CI_USER }, calls: [PE_TOKEN] }),
      assumeRole({
        config: { type: 'ram_role_arn', ...CI_USER, roleArn: PULLER_ROLE, roleSessionName: 'kubelet', stsEndpoint: STS_ENDPOINT },
        then: { calls: [PE_TOKEN, { action: 'GetAuthorizationToken', query: { InstanceId: PARTNER } }] },
      }),
      apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, endpoint: 'cr.cn-beijing.aliyuncs.com', calls: [PE_TOKEN] }),
    ]);
    // openapi-client reads the lower-case keys: the message and request id come through.
    expect(failure(stranger[0])).toMatchObject({ code: 'USER_NOT_EXIST', statusCode: 404, message: expect.stringMatching(/user is not exist\. request id: [0-9A-F-]{36}$/) });
    for (const refused of [ciUser[0], puller.ok ? puller.outcomes[0] : undefined]) {
      expect(failure(refused)).toMatchObject({ code: 'Forbidden.RAM', statusCode: 403, accessDeniedDetail: { AuthAction: 'cr:GetAuthorizationToken' } });
    }
    // The same instance-scoped grant does cover its Enterprise instance.
    expect(body(puller.ok ? puller.outcomes[1] : undefined)).toMatchObject({ IsSuccess: true });
    expect(failure(otherRegion[0])).toMatchObject({ code: 'InvalidAction.NotFound', statusCode: 404 });

    const refusals = apiEntries(await cloud.requests()).filter((e) => e.version === '2016-06-07');
    expect(refusals.map((e) => [e.principal ?? '', e.errorCode]).sort()).toEqual(
      [
        [PE_STRANGER.accessKeyId, 'USER_NOT_EXIST'],
        [CI_USER.accessKeyId, 'Forbidden.RAM'],
        [PULLER_ROLE, 'Forbidden.RAM'],
        ['', 'InvalidAction.NotFound'],
      ].sort(),
    );
  });
});

describe('registry token service', () => {
  it('swaps an issued password for a signed JWT with the actions RAM allows, and refuses anything else', async () => {
    const [node, stranger, shanghai] = await Promise.all([
      apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [EE_TOKEN] }),
      // May get a password, but neither cr:PullRepository nor cr:PushRepository.
      apiCalls(cloud, { credential: { type: 'access_key', ...PE_STRANGER }, calls: [EE_TOKEN] }),
      apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, endpoint: 'cr.cn-shanghai.aliyuncs.com', calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACMESH } }] }),
    ]);
    const basic = (outcome: RpcOutcome | undefined) => ({ username: 'cr_temp_user', password: String(body(outcome).AuthorizationToken) });
    const scope = 'repository:team/app:pull,push';
    const started = Math.floor(Date.now() / 1000);
    const [granted, pullless, noAuth, wrongPassword, otherService, otherRegion, otherInstance] = await registryTokens([
      { service: ACME, scopes: [scope, 'repository:team/other:pull'], basic: basic(node[0]) },
      { service: ACME, scopes: [scope], basic: basic(stranger[0]) },
      { service: ACME, scopes: [scope] },
      { service: ACME, scopes: [scope], basic: { username: 'cr_temp_user', password: 'wrong' } },
      { service: ACMESH, scopes: [scope], basic: basic(node[0]) },
      { host: 'dockerauth-ee.cn-shanghai.aliyuncs.com', service: ACME, scopes: [scope], basic: basic(node[0]) },
      { service: ACME, scopes: [scope], basic: basic(shanghai[0]) },
    ]);

    expect(granted).toMatchObject({ status: 200, header: { typ: 'JWT', alg: 'ES256', x5c: [expect.any(String)] } });
    expect(granted?.body.access_token).toBe(granted?.body.token);
    expect(granted?.claims).toMatchObject({
      iss: 'fake-cloud dockerauth-ee',
      sub: 'cr_temp_user',
      aud: ACME,
      jti: expect.any(String),
      access: [
        { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
        { type: 'repository', name: 'team/other', actions: ['pull'] },
      ],
    });
    const claims = granted?.claims as { iat: number; nbf: number; exp: number };
    expect(claims.iat).toBeGreaterThanOrEqual(started);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp - claims.iat).toBe(granted?.body.expires_in);
    expect(pullless).toMatchObject({ status: 200, claims: { access: [{ name: 'team/app', actions: [] }] } });
    for (const refused of [noAuth, wrongPassword, otherService, otherRegion, otherInstance]) {
      expect(refused).toEqual({ status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] } });
    }

    // The client sends its requests at once: the log holds them in arrival order.
    const log = (await cloud.requests()).filter((entry) => entry.service === 'dockerauth');
    const outcome = (entry: (typeof log)[number]) => JSON.stringify([entry.auth, entry.status, entry.principal ?? null]);
    expect(log.map(outcome).sort()).toEqual(
      [
        ['basic', 200, NODE_ROLE_ARN],
        ['basic', 200, PE_STRANGER.accessKeyId],
        ['none', 401, null],
        ['basic', 401, null],
        ['basic', 401, null],
        ['basic', 401, null],
        ['basic', 401, null],
      ]
        .map((entry) => JSON.stringify(entry))
        .sort(),
    );
    expect(log.find((entry) => entry.principal === NODE_ROLE_ARN)?.params).toEqual({ service: ACME, scope: 'repository:team/other:pull' });
    expect(JSON.stringify(log)).not.toContain(basic(node[0]).password);
    expect((await cloud.issuedTokens()).find((t) => t.password === basic(node[0]).password)?.logins).toBe(1);
  });
});

describe('faults', () => {
  it('injects each kind of failure, once each, in the order they were added', async () => {
    const kinds = ['throttle', 'server-error', 'html-503', 'truncated-json', 'garbage', 'not-success', 'expired-token', 'reset', 'slow'] as const;
    for (const kind of kinds) await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', kind, times: 1, delayMs: 300 });
    const call = { action: 'GetAuthorizationToken', query: { InstanceId: ACME } };
    const outcomes = await apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [...kinds.map(() => call), call] });
    const [throttle, serverError, html, truncated, garbage, notSuccess, expiredToken, reset, slow, normal] = outcomes;
    expect(failure(throttle)).toMatchObject({ code: 'Throttling.User', statusCode: 400 });
    expect(failure(throttle).message).toContain('Request was denied due to user flow control.');
    expect(failure(serverError)).toMatchObject({ code: 'InternalError', statusCode: 500 });
    // The SDK cannot parse non-JSON bodies: a bare SyntaxError, as reference §0.8 says.
    for (const unparsable of [html, truncated, garbage]) expect(failure(unparsable).name).toBe('SyntaxError');
    expect(body(notSuccess)).toMatchObject({ IsSuccess: false });
    expect(body(expiredToken).ExpireTime as number).toBeLessThan(Date.now());
    expect(failure(reset).message).toMatch(/ECONNRESET|socket hang up/);
    expect(body(slow)).toMatchObject({ IsSuccess: true });
    expect(slow?.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(body(normal)).toMatchObject({ IsSuccess: true });

    const logged = apiEntries(await cloud.requests());
    expect(logged.map((e) => e.fault)).toEqual([...kinds, undefined]);
    expect(logged.map((e) => e.status)).toEqual([400, 500, 503, 200, 200, 200, 200, 0, 200, 200]);
  });

  it('targets one API version: a Personal Edition fault leaves the Enterprise API alone', async () => {
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', version: '2016-06-07', kind: 'expired-token', times: 1 });
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', version: '2016-06-07', kind: 'throttle', times: 1 });
    const [enterprise, expired, throttled] = await apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [EE_TOKEN, PE_TOKEN, PE_TOKEN] });
    expect(body(enterprise).ExpireTime as number).toBeGreaterThan(Date.now());
    expect((body(expired).data as { expireDate: number }).expireDate).toBeLessThan(Date.now());
    expect(failure(throttled)).toMatchObject({ code: 'Throttling.User', statusCode: 400 });

    // Without a version a fault hits both editions.
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', kind: 'server-error', times: 2 });
    const bothFail = await apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [PE_TOKEN, EE_TOKEN, PE_TOKEN] });
    expect(bothFail.slice(0, 2).map((o) => failure(o).code)).toEqual(['InternalError', 'InternalError']);
    expect(body(bothFail[2]).data).toMatchObject({ tempUserName: 'cr_temp_user' });

    const logged = apiEntries(await cloud.requests());
    expect(logged.map((e) => [e.version, e.fault])).toEqual([
      ['2018-12-01', undefined],
      ['2016-06-07', 'expired-token'],
      ['2016-06-07', 'throttle'],
      ['2016-06-07', 'server-error'],
      ['2018-12-01', 'server-error'],
      ['2016-06-07', undefined],
    ]);
  });

  it('fails STS calls too, and can be cleared', async () => {
    await cloud.fault({ service: 'sts', kind: 'throttle' });
    const config = { type: 'ram_role_arn', ...CI_USER, roleArn: PULLER_ROLE, roleSessionName: 'kubelet', stsEndpoint: STS_ENDPOINT };
    const throttled = await assumeRole({ config });
    expect(throttled).toMatchObject({ ok: false, message: expect.stringContaining('Throttling.User') });
    await cloud.clearFaults();
    expect(await assumeRole({ config })).toMatchObject({ ok: true });
  });
});

describe('STS', () => {
  const grant = { endpoint: 'cr.cn-hangzhou.aliyuncs.com', calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: PARTNER } }] };

  it('assumes a role through @alicloud/credentials, and the credentials work against CR', async () => {
    const started = Date.now();
    const outcome = await assumeRole({
      config: { type: 'ram_role_arn', ...CI_USER, roleArn: PULLER_ROLE, roleSessionName: 'kubelet', roleSessionExpiration: 1200, stsEndpoint: STS_ENDPOINT },
      then: { ...grant, calls: [...grant.calls, { action: 'GetAuthorizationToken', query: { InstanceId: ACME } }] },
    });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.accessKeyId).toMatch(/^STS\./);
    expect(outcome.hasSecurityToken).toBe(true);
    const [token, notGranted] = outcome.outcomes;
    // The password may not outlive the 20-minute role session (and a shorter session than
    // 15 min would make the SDK assume the role again for every call).
    expect(body(token).ExpireTime as number).toBeLessThanOrEqual(started + 1200_000 + 5000);
    expect(body(token).ExpireTime as number).toBeGreaterThan(started + 1100_000);
    expect(failure(notGranted).code).toBe('Forbidden.RAM');

    const [assume, ...crCalls] = apiEntries(await cloud.requests());
    expect(assume).toMatchObject({ service: 'sts', host: STS_ENDPOINT, action: 'AssumeRole', auth: 'HMAC-SHA1', principal: CI_USER.accessKeyId, status: 200 });
    expect(assume?.params).toMatchObject({ RoleArn: PULLER_ROLE, RoleSessionName: 'kubelet', DurationSeconds: '1200' });
    expect(crCalls.map((e) => e.principal)).toEqual([PULLER_ROLE, PULLER_ROLE]);
    expect((await cloud.issuedTokens()).at(-1)).toMatchObject({ principal: PULLER_ROLE, accountId: PARTNER_ACCOUNT, instanceId: PARTNER });
  });

  it('requires the ExternalId a role demands', async () => {
    const config = { type: 'ram_role_arn', ...CI_USER, roleArn: PULLER_EXT_ROLE, roleSessionName: 'kubelet', stsEndpoint: STS_ENDPOINT };
    const [withId, wrongId, withoutId] = await Promise.all([
      assumeRole({ config: { ...config, externalId: 'abcd-1234' }, then: grant }),
      assumeRole({ config: { ...config, externalId: 'abcd-9999' } }),
      assumeRole({ config }),
    ]);
    if (!withId.ok) throw new Error(withId.message);
    expect(body(withId.outcomes[0])).toMatchObject({ IsSuccess: true });
    for (const refused of [wrongId, withoutId]) expect(refused).toMatchObject({ ok: false, message: expect.stringContaining('NoPermission') });
    const logged = apiEntries(await cloud.requests()).filter((e) => e.service === 'sts');
    expect(logged.map((e) => e.params.ExternalId).sort()).toEqual(['abcd-1234', 'abcd-9999', undefined].sort());
  });

  it('checks AssumeRole parameters and callers (V3 signature)', async () => {
    const assumeRoleCall = (query: Record<string, string>) => ({ action: 'AssumeRole', version: '2015-04-01', query: { RoleArn: PULLER_ROLE, RoleSessionName: 'kubelet', ...query } });
    const [user, root] = await Promise.all([
      apiCalls(cloud, {
        credential: { type: 'access_key', ...CI_USER },
        endpoint: 'sts-vpc.cn-hangzhou.aliyuncs.com',
        calls: [
          assumeRoleCall({ DurationSeconds: '3600' }),
          assumeRoleCall({ RoleSessionName: 'a' }),
          assumeRoleCall({ RoleSessionName: 'x'.repeat(33) }),
          assumeRoleCall({ RoleSessionName: 'bad*name' }),
          assumeRoleCall({ DurationSeconds: '899' }),
          assumeRoleCall({ DurationSeconds: '3601' }),
          assumeRoleCall({ RoleArn: `acs:ram::${PARTNER_ACCOUNT}:role/nosuchrole` }),
          assumeRoleCall({ RoleArn: RRSA_ROLE }),
        ],
      }),
      apiCalls(cloud, { credential: { type: 'access_key', ...PARTNER_ROOT }, endpoint: 'sts.aliyuncs.com', calls: [assumeRoleCall({})] }),
    ]);
    const [ok, ...refused] = user;
    expect(body(ok)).toMatchObject({
      AssumedRoleUser: { Arn: `${PULLER_ROLE}/kubelet`, AssumedRoleId: expect.stringMatching(/^\d{19}:kubelet$/) },
      Credentials: { AccessKeyId: expect.stringMatching(/^STS\./), Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
    });
    expect(refused.map((o) => [failure(o).code, failure(o).statusCode])).toEqual([
      ['InvalidParameter.RoleSessionName', 400],
      ['InvalidParameter.RoleSessionName', 400],
      ['InvalidParameter.RoleSessionName', 400],
      ['InvalidParameter.DurationSeconds', 400],
      ['InvalidParameter.DurationSeconds', 400],
      ['NoPermission', 403],
      ['NoPermission', 403],
    ]);
    expect(failure(root[0])).toMatchObject({ code: 'NoPermission', statusCode: 403, message: expect.stringContaining('Roles may not be assumed by root accounts.') });
    expect(apiEntries(await cloud.requests()).every((e) => e.auth === 'ACS3-HMAC-SHA256' && e.service === 'sts')).toBe(true);
  });

  it('assumes a role with an OIDC token, checking issuer, audience, expiry and subject', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = (claims: Record<string, unknown>) =>
      [{ alg: 'RS256', typ: 'JWT' }, { iss: OIDC_ISSUER, aud: ['sts.aliyuncs.com'], sub: OIDC_SUBJECT, iat: now, exp: now + 3600, ...claims }]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .concat('c2lnbmF0dXJl')
        .join('.');
    const tokenFile = async (name: string, claims: Record<string, unknown>) => {
      const path = join(scratch, name);
      // Projected token files end without a newline, but the SDK would send one verbatim.
      await writeFile(path, `${jwt(claims)}\n`);
      return path;
    };
    const config = async (name: string, claims: Record<string, unknown>) => ({
      type: 'oidc_role_arn',
      roleArn: RRSA_ROLE,
      oidcProviderArn: OIDC_PROVIDER,
      oidcTokenFilePath: await tokenFile(name, claims),
      roleSessionName: 'rrsa-test',
      stsEndpoint: STS_ENDPOINT,
    });
    const [good, wrongAudience, expired, wrongSubject, wrongIssuer] = await Promise.all([
      assumeRole({ config: await config('good', {}), then: { calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACME } }] } }),
      assumeRole({ config: await config('aud', { aud: 'someone-else' }) }),
      assumeRole({ config: await config('exp', { exp: now - 60 }) }),
      assumeRole({ config: await config('sub', { sub: 'system:serviceaccount:default:default' }) }),
      assumeRole({ config: await config('iss', { iss: 'https://evil.example' }) }),
    ]);
    if (!good.ok) throw new Error(good.message);
    expect(body(good.outcomes[0])).toMatchObject({ IsSuccess: true });
    expect(wrongAudience).toMatchObject({ ok: false, message: expect.stringContaining('AuthenticationFail.OIDCToken.AudienceNotMatch') });
    expect(expired).toMatchObject({ ok: false, message: expect.stringContaining('AuthenticationFail.OIDCToken.Expired') });
    expect(wrongSubject).toMatchObject({ ok: false, message: expect.stringContaining('AuthenticationFail.NoPermission') });
    expect(wrongIssuer).toMatchObject({ ok: false, message: expect.stringContaining('AuthenticationFail.OIDCToken.Invalid') });

    const log = await cloud.requests();
    const oidcCalls = log.filter((e) => e.action === 'AssumeRoleWithOIDC');
    expect(oidcCalls).toHaveLength(5);
    expect(oidcCalls.every((e) => e.auth === 'none' && e.params.OIDCToken === '<redacted>')).toBe(true);
    expect(JSON.stringify(log)).not.toContain(jwt({}).split('.')[1]);
    expect(log.find((e) => e.action === 'GetAuthorizationToken')?.principal).toBe(RRSA_ROLE);
  });
});

describe('hosts file', () => {
  it('is never written outside the fake cloud namespace', async () => {
    const before = await readFile('/etc/hosts', 'utf8');
    const scratchHosts = join(scratch, 'hosts');
    await writeFile(scratchHosts, '');
    await expect(installHostsFile(scratchHosts)).rejects.toThrow(/refusing to write \/etc\/hosts/);
    expect(await readFile('/etc/hosts', 'utf8')).toBe(before);
  });
});
