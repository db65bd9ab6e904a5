// HTTPS_PROXY / NO_PROXY, as set through `env` in the kubelet's CredentialProviderConfig.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { startFakeCloud, type FakeCloud } from '../support/cloud.js';
import { expectKubeletAccepts } from '../support/kubelet-rules.js';

const PROXY = fileURLToPath(new URL('../support/connect-proxy.mjs', import.meta.url));
const IMAGE = 'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app';
let cloud: FakeCloud;

beforeAll(async () => {
  cloud = await startFakeCloud();
});
afterAll(async () => cloud?.stop());

/** Runs the provider inside the namespace with the proxy beside it; returns the run and the tunnels the proxy opened. */
async function throughProxy(env: Record<string, string>) {
  await cloud.clearProviderCache();
  await cloud.clearRequests();
  const log = join(mkdtempSync(join(tmpdir(), 'acr-proxy-')), 'tunnels');
  const script = `${process.execPath} ${PROXY} 3128 ${log} & proxy=$!; while ! grep -q listening ${log} 2>/dev/null; do sleep 0.05; done; "$@"; status=$?; kill $proxy; exit $status`;
  const run = await cloud.run(['/bin/sh', '-c', script, 'proxy-test', providerBinary], { stdin: kubeletRequest(IMAGE), env });
  const tunnels = readFileSync(log, 'utf8').split('\n').filter((line) => line !== '' && line !== 'listening');
  return { run, tunnels };
}

describe('proxy from the environment', () => {
  it('sends the API calls through HTTPS_PROXY, and the metadata service never', async () => {
    const { run, tunnels } = await throughProxy({ HTTPS_PROXY: 'http://127.0.0.1:3128', NO_PROXY: '100.100.100.200' });
    expect(run.code, run.stderr).toBe(0);
    expectKubeletAccepts(run.stdout, 'credentialprovider.kubelet.k8s.io/v1', IMAGE);
    // The SDK keeps its connection alive, so the three API calls may share one tunnel.
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set(['cr.cn-hangzhou.aliyuncs.com:443']));
    expect((await cloud.requests()).filter((r) => r.service === 'cr')).toHaveLength(3);
  });

  it('honours NO_PROXY', async () => {
    const { run, tunnels } = await throughProxy({ HTTPS_PROXY: 'http://127.0.0.1:3128', NO_PROXY: '.aliyuncs.com' });
    expect(run.code, run.stderr).toBe(0);
    expect(tunnels).toEqual([]);
  });
});
