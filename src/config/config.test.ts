import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('reads the documented example (YAML)', async () => {
    const config = await parseConfig(
      `expiringThreshold: 10m
useVpcEndpoint: true
instances:
  - instanceId: cri-acme0000000001
    regionId: cn-hangzhou
    domains: acme-registry.cn-hangzhou.cr.aliyuncs.com, registry.acme.example
  - instanceId: cri-acmesh00000001
    domains: [acmesh-registry-vpc.cn-shanghai.cr.aliyuncs.com]
  - instanceId: cri-bare0000000001
`,
      'test.yaml',
    );
    expect(config).toEqual({
      expiringThresholdMs: 600_000,
      useVpcEndpoint: true,
      instances: [
        { instanceId: 'cri-acme0000000001', regionId: 'cn-hangzhou', domains: ['acme-registry.cn-hangzhou.cr.aliyuncs.com', 'registry.acme.example'] },
        { instanceId: 'cri-acmesh00000001', domains: ['acmesh-registry-vpc.cn-shanghai.cr.aliyuncs.com'] },
        { instanceId: 'cri-bare0000000001' },
      ],
    });
  });

  it('reads JSON and empty files', async () => {
    expect(await parseConfig('{"instances":[{"instanceId":"cri-a1","domains":""}]}', 'c.json')).toEqual({ ...DEFAULT_CONFIG, instances: [{ instanceId: 'cri-a1' }] });
    expect(await parseConfig('', 'empty.yaml')).toEqual(DEFAULT_CONFIG);
    expect(await parseConfig('# only a comment\n', 'c.yaml')).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['instanceID: x', /the top level: unknown key "instanceID"/],
    ['expiring-threshold: 15m', /unknown key "expiring-threshold" \(did you mean "expiringThreshold"\?\)/],
    ['expiringThreshold: 15', /expiringThreshold must be a duration string/],
    ['expiringThreshold: 1d', /expiringThreshold must be a duration string/],
    ['useVpcEndpoint: "yes"', /useVpcEndpoint must be true or false/],
    ['instances: {}', /instances must be a list/],
    ['instances: [{regionId: cn-hangzhou}]', /instances\[0\]: instanceId must be/],
    ['instances: [{instanceId: cri-a, instanceid: x}]', /instances\[0\]: unknown key "instanceid" \(did you mean "instanceId"\?\)/],
    ['instances: [{instanceId: cri-a, regionId: Hangzhou}]', /instances\[0\]: regionId must be/],
    ['instances: [{instanceId: cri-a, domains: "https://acme.example/v2"}]', /instances\[0\]: domains has "https:\/\/acme.example\/v2"/],
    ['instances: [{instanceId: cri-a, domains: 5}]', /instances\[0\]: domains must be/],
    ['- just a list', /the top level must be a mapping/],
    ['a: [', /not valid YAML/],
    ['{"a":', /not valid JSON$/],
  ])('%j → clear error', async (text, message) => {
    await expect(parseConfig(text, 'c.yaml')).rejects.toThrow(message);
  });
});
