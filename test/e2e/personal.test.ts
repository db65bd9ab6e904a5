// ACR Personal Edition (API 2016-06-07) from the built binary against the fake cloud.
import { describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { expectCacheWindow } from '../support/expectations.js';
import { useFakeCloud, withFakeCloud } from '../support/fake-node.js';
import { expectKubeletAccepts } from '../support/kubelet-rules.js';

const WORKER_ROLE = 'acs:ram::1000000000000001:role/kubernetesworkerrole-fake';
const cloud = useFakeCloud();

describe('ACR Personal Edition with the node Worker RAM role', () => {
  it.each([
    ['registry.cn-hangzhou.aliyuncs.com', 'cr.cn-hangzhou.aliyuncs.com'],
    ['registry-vpc.cn-beijing.aliyuncs.com', 'cr.cn-beijing.aliyuncs.com'],
    ['registry-intl.ap-southeast-1.aliyuncs.com', 'cr.ap-southeast-1.aliyuncs.com'],
  ])('%s gets a token from the Personal Edition API of its region', async (host, endpoint) => {
    const image = `${host}/team/app`;
    const run = await cloud.run([providerBinary], { stdin: kubeletRequest(image) });
    expect(run.stderr).toBe('');
    const response = expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', image);
    expect(Object.keys(response.auth)).toEqual([host]);
    expectCacheWindow(response.cacheDurationMs, 45);
    const calls = (await cloud.requests()).filter((r) => r.service === 'cr');
    expect(calls.map((r) => [r.host, r.method, r.path, r.version, r.principal?.toLowerCase()])).toEqual([[endpoint, 'GET', '/tokens', '2016-06-07', WORKER_ROLE]]);
    const issued = (await cloud.issuedTokens()).find((token) => token.password === response.auth[host]?.password);
    expect(issued?.edition).toBe('personal');
  });

  it('tells a user without a Personal Edition login what to do', async () => {
    await withFakeCloud({ personalRegistry: { users: [] } }, async (lonely) => {
      const run = await lonely.run([providerBinary], { stdin: kubeletRequest('registry.cn-hangzhou.aliyuncs.com/team/app') });
      expect(run.stdout).toBe('');
      expect(run.code).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/the node's RAM role "KubernetesWorkerRole-fake" has no ACR Personal Edition registry login in cn-hangzhou \(USER_NOT_EXIST\) \(request id [^)]+\) - sign in to the Container Registry console/);
    });
  });

  it('refuses new crpi- instances with a clear message and no API call', async () => {
    const run = await cloud.run([providerBinary], { stdin: kubeletRequest('crpi-abcdef0123456789.cn-hangzhou.personal.cr.aliyuncs.com/team/app') });
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^aliyun-acr-credential-provider: error: crpi-abcdef0123456789.cn-hangzhou.personal.cr.aliyuncs.com is a Personal Edition instance created after 2024-09-08, which the ACR token API does not support - use an imagePullSecret/);
    expect(await cloud.requests()).toEqual([]);
  });
});
