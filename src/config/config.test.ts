import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig, parseConfig } from './config.js';

const ROLE = 'acs:ram::2000000000000002:role/acr-puller';
const OIDC = 'acs:ram::1000000000000001:oidc-provider/ack-rrsa-c0123';

describe('parseConfig', () => {
  it('reads the documented example (YAML)', async () => {
    const config = await parseConfig(
      `expiringThreshold: 10m
useVpcEndpoint: true
rrsa:
  oidcProviderArn: ${OIDC}
  roleArn: ${ROLE}
  requireServiceAccount: true
instances:
  - instanceId: cri-acme0000000001
    regionId: cn-hangzhou
    domains: acme-registry.cn-hangzhou.cr.aliyuncs.com, registry.acme.example
  - instanceId: cri-acmesh00000001
    domains: [acmesh-registry-vpc.cn-shanghai.cr.aliyuncs.com]
    assumeRoleARN: ${ROLE}
    expireDuration: 900
    externalId: abc-123
  - instanceId: cri-bare0000000001
    rrsaRoleARN: ${ROLE}
    rrsaOIDCProviderRoleARN: ${OIDC}
  - instanceId: ""
    regionId: cn-beijing
    customAccessKey: LTAI5tFakeAccessKey
    customAccessKeySecret: not-a-real-secret
`,
      'test.yaml',
    );
    expect(config).toEqual({
      ...DEFAULT_CONFIG,
      expiringThresholdMs: 600_000,
      useVpcEndpoint: true,
      rrsa: { oidcProviderArn: OIDC, roleArn: ROLE, requireServiceAccount: true },
      instances: [
        { name: 'instances[0]', instanceId: 'cri-acme0000000001', regionId: 'cn-hangzhou', domains: ['acme-registry.cn-hangzhou.cr.aliyuncs.com', 'registry.acme.example'] },
        { name: 'instances[1]', instanceId: 'cri-acmesh00000001', domains: ['acmesh-registry-vpc.cn-shanghai.cr.aliyuncs.com'], assumeRoleARN: ROLE, expireDuration: 900, externalId: 'abc-123' },
        { name: 'instances[2]', instanceId: 'cri-bare0000000001', rrsaRoleARN: ROLE, rrsaOIDCProviderRoleARN: OIDC },
        { name: 'instances[3]', regionId: 'cn-beijing', customAccessKey: { accessKeyId: 'LTAI5tFakeAccessKey', accessKeySecret: 'not-a-real-secret' } },
      ],
    });
  });

  it('reads JSON and empty files', async () => {
    expect(await parseConfig('{"instances":[{"instanceId":"cri-a1","domains":""}]}', 'c.json')).toEqual({ ...DEFAULT_CONFIG, instances: [{ name: 'instances[0]', instanceId: 'cri-a1' }] });
    expect(await parseConfig('', 'empty.yaml')).toEqual(DEFAULT_CONFIG);
    expect(await parseConfig('# only a comment\n', 'c.yaml')).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['instanceID: x', /the top level: unknown key "instanceID"/],
    ['expiring-threshold: 15m', /unknown key "expiring-threshold" \(did you mean "expiringThreshold"\?\)/],
    ['expiringThreshold: 15', /expiringThreshold must be a duration string/],
    ['expiringThreshold: 1d', /expiringThreshold must be a duration string/],
    ['useVpcEndpoint: "yes"', /useVpcEndpoint must be true or false/],
    ['rrsa: {oidcProviderArn: arn}', /rrsa.oidcProviderArn must be an OIDC provider ARN/],
    ['rrsa: {roleARN: x}', /rrsa: unknown key "roleARN" \(did you mean "roleArn"\?\)/],
    ['rrsa: {requireServiceAccount: 1}', /rrsa.requireServiceAccount must be true or false/],
    ['instances: {}', /instances must be a list/],
    ['instances: [{domains: x.example}]', /^((?!needs).)*$/],
    ['instances: [{}]', /instances\[0\]: a Personal Edition entry \(no instanceId\) needs regionId or domains/],
    ['instances: [{instanceId: "", domains: acme-registry.cn-hangzhou.cr.aliyuncs.com}]', /acme-registry.cn-hangzhou.cr.aliyuncs.com is an Enterprise Edition domain, but the entry has no instanceId/],
    ['instances: [{instanceId: ins-1}]', /instances\[0\]: instanceId must be an Enterprise Edition instance id/],
    ['instances: [{instanceId: cri-a, instanceid: x}]', /instances\[0\]: unknown key "instanceid" \(did you mean "instanceId"\?\)/],
    ['instances: [{instanceId: cri-a, regionId: Hangzhou}]', /instances\[0\]: regionId must be/],
    ['instances: [{instanceId: cri-a, domains: "https://acme.example/v2"}]', /instances\[0\]: domains has "https:\/\/acme.example\/v2"/],
    ['instances: [{instanceId: cri-a, domains: 5}]', /instances\[0\]: domains must be/],
    ['instances: [{instanceId: cri-a, assumeRoleARN: "role/x"}]', /instances\[0\]: assumeRoleARN must be a role ARN/],
    [`instances: [{instanceId: cri-a, assumeRoleARN: "${ROLE}", expireDuration: 600}]`, /expireDuration must be a whole number of seconds from 900 to 43200/],
    [`instances: [{instanceId: cri-a, assumeRoleARN: "${ROLE}", expireDuration: 50000}]`, /expireDuration must be a whole number/],
    [`instances: [{instanceId: cri-a, assumeRoleARN: "${ROLE}", externalId: "a"}]`, /externalId must be 2-1224 characters/],
    ['instances: [{instanceId: cri-a, externalId: "abc"}]', /externalId applies to assumeRoleARN, which is not set/],
    ['instances: [{instanceId: cri-a, expireDuration: 900}]', /expireDuration applies to assumeRoleARN/],
    ['instances: [{instanceId: cri-a, customAccessKey: LTAI5tFakeAccessKey}]', /customAccessKey and customAccessKeySecret go together/],
    ['instances: [{instanceId: cri-a, customAccessKeySecret: s3cret}]', /customAccessKey and customAccessKeySecret go together/],
    [`instances: [{instanceId: cri-a, customAccessKey: LTAI5tFakeAccessKey, customAccessKeySecret: s, rrsaRoleARN: "${ROLE}"}]`, /choose one identity/],
    ['- just a list', /the top level must be a mapping/],
    ['a: [', /not valid YAML/],
    ['{"a":', /not valid JSON$/],
  ])('%j → clear error', async (text, message) => {
    if (text === 'instances: [{domains: x.example}]') {
      // A Personal Edition entry for a custom domain is fine.
      await expect(parseConfig(text, 'c.yaml')).resolves.toBeDefined();
      return;
    }
    await expect(parseConfig(text, 'c.yaml')).rejects.toThrow(message);
  });

  it('never quotes a secret in an error', async () => {
    await expect(parseConfig('instances: [{instanceId: cri-a, customAccessKey: x, customAccessKeySecret: s3cret-value}]', 'c.yaml')).rejects.toThrow(/^((?!s3cret-value).)*$/);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'provider-config-'));
  const withKey = 'instances: [{instanceId: cri-a, customAccessKey: LTAI5tFakeAccessKey, customAccessKeySecret: s3cret}]\n';

  it('accepts an AccessKey in a file only its owner can read', async () => {
    const path = join(dir, 'private.yaml');
    writeFileSync(path, withKey);
    chmodSync(path, 0o600);
    expect((await loadConfig(path)).instances[0]?.customAccessKey?.accessKeyId).toBe('LTAI5tFakeAccessKey');
  });

  it.each([0o644, 0o640, 0o604])('refuses an AccessKey in a file with mode %s', async (mode) => {
    const path = join(dir, `shared-${mode}.yaml`);
    writeFileSync(path, withKey);
    chmodSync(path, mode);
    await expect(loadConfig(path)).rejects.toThrow(/instances\[0\] holds an AccessKey secret, but the file is readable by others \(mode 0/);
  });

  it('does not mind the mode of a file without secrets', async () => {
    const path = join(dir, 'public.yaml');
    writeFileSync(path, 'instances: [{instanceId: cri-a}]\n');
    chmodSync(path, 0o644);
    await expect(loadConfig(path)).resolves.toBeDefined();
  });
});
