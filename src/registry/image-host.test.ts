import { describe, expect, it } from 'vitest';
import { classifyRegistryHost, hostnameOf, imageRegistryHost } from './image-host.js';

describe('imageRegistryHost', () => {
  it.each([
    ['acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app', 'acme-registry.cn-hangzhou.cr.aliyuncs.com'],
    ['registry.acme.example:5000/team/app', 'registry.acme.example:5000'],
    ['localhost/app', 'localhost'],
    ['docker.io/library/nginx', 'docker.io'],
    ['library/nginx', 'docker.io'],
    ['nginx', 'docker.io'],
  ])('%s → %s', (image, host) => expect(imageRegistryHost(image)).toBe(host));
});

describe('hostnameOf', () => {
  it.each([
    ['Registry.Example.com:443', 'registry.example.com'],
    ['registry.example.com', 'registry.example.com'],
    ['[::1]:5000', '[::1]'],
  ])('%s → %s', (host, hostname) => expect(hostnameOf(host)).toBe(hostname));
});

describe('classifyRegistryHost', () => {
  it.each([
    ['acme-registry.cn-hangzhou.cr.aliyuncs.com', { kind: 'enterprise', instanceName: 'acme', regionId: 'cn-hangzhou', network: 'internet' }],
    ['acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com', { kind: 'enterprise', instanceName: 'acme', regionId: 'cn-hangzhou', network: 'vpc' }],
    ['my-registry-prod-registry.ap-southeast-1.cr.aliyuncs.com', { kind: 'enterprise', instanceName: 'my-registry-prod', regionId: 'ap-southeast-1', network: 'internet' }],
    ['team-a-registry-vpc.cn-shanghai-finance-1.cr.aliyuncs.com', { kind: 'enterprise', instanceName: 'team-a', regionId: 'cn-shanghai-finance-1', network: 'vpc' }],
    ['Acme-Registry.CN-Hangzhou.cr.aliyuncs.com:443', { kind: 'enterprise', instanceName: 'acme', regionId: 'cn-hangzhou', network: 'internet' }],
    ['registry.cn-hangzhou.aliyuncs.com', { kind: 'personal', regionId: 'cn-hangzhou' }],
    ['registry-vpc.cn-beijing.aliyuncs.com', { kind: 'personal', regionId: 'cn-beijing' }],
    ['registry-internal.cn-beijing.aliyuncs.com', { kind: 'personal', regionId: 'cn-beijing' }],
    ['registry-intl.ap-southeast-1.aliyuncs.com', { kind: 'personal', regionId: 'ap-southeast-1' }],
    ['registry-intl-vpc.ap-southeast-1.aliyuncs.com', { kind: 'personal', regionId: 'ap-southeast-1' }],
    ['crpi-abcdef0123456789.cn-hangzhou.personal.cr.aliyuncs.com', { kind: 'personal-crpi', regionId: 'cn-hangzhou' }],
    ['cr.cn-hangzhou.aliyuncs.com', { kind: 'other' }],
    ['-registry.cn-hangzhou.cr.aliyuncs.com', { kind: 'other' }],
    ['acme-registry.cn-hangzhou.cr.aliyuncs.com.evil.example', { kind: 'other' }],
    ['acme-registry.hangzhou.cr.aliyuncs.com', { kind: 'other' }],
    ['docker.io', { kind: 'other' }],
    ['registry.acme.example', { kind: 'other' }],
  ])('%s', (host, expected) => expect(classifyRegistryHost(host)).toEqual({ host, ...expected }));
});
