// The operator's toolbox from the built binary: get-credentials, the Docker helper mode, doctor, help.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerBinary } from '../support/binary.js';
import type { FakeCloud } from '../support/cloud.js';
import { useFakeCloud, withFakeCloud } from '../support/fake-node.js';
import { expectOneLineFailure } from '../support/expectations.js';

const ACME = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const ACME_VPC = 'acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com';

const cloud = useFakeCloud();
const scratch = mkdtempSync(join(tmpdir(), 'acr-provider-toolbox-'));
// Docker finds helpers as docker-credential-<name> on PATH; the name makes the binary a helper.
const helper = join(scratch, 'docker-credential-aliyun-acr');
symlinkSync(providerBinary, helper);

function file(name: string, text: string, mode = 0o600): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('get-credentials', () => {
  it('prints what the kubelet would get, the password redacted', async () => {
    const run = await cloud.run([providerBinary, 'get-credentials', `${ACME}/team/app`]);
    expect(run.code, run.stderr).toBe(0);
    const shown = JSON.parse(run.stdout);
    expect(shown).toMatchObject({ kind: 'CredentialProviderResponse', cacheKeyType: 'Registry' });
    expect(shown.auth[ACME].username).toBe('cr_temp_user');
    expect(shown.auth[ACME].password).toMatch(/^<redacted, \d+ characters; --show-secret prints it>$/);
    const issued = await cloud.issuedTokens();
    for (const token of issued) expect(run.stdout).not.toContain(token.password);
  });

  it('prints the password with --show-secret', async () => {
    const run = await cloud.run([providerBinary, 'get-credentials', `${ACME}/team/app`, '--show-secret']);
    expect(run.code, run.stderr).toBe(0);
    const issued = await cloud.issuedTokens();
    expect(issued.map((token) => token.password)).toContain(JSON.parse(run.stdout).auth[ACME].password);
  });
});

describe('Docker credential helper mode', () => {
  it.each([ACME, `https://${ACME}`, `https://${ACME}/v2/`])('get %s', async (serverUrl) => {
    const run = await cloud.run([helper, 'get'], { stdin: `${serverUrl}\n` });
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(Object.keys(answer)).toEqual(['ServerURL', 'Username', 'Secret']);
    expect(answer.ServerURL).toBe(serverUrl);
    expect(answer.Username).toBe('cr_temp_user');
    expect((await cloud.issuedTokens()).map((token) => token.password)).toContain(answer.Secret);
  });

  it('answers "credentials not found" for a registry that is not ACR', async () => {
    const run = await cloud.run([helper, 'get'], { stdin: 'docker.io\n' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('credentials not found in native keychain\n');
  });

  it('is read-only: list is empty, store and erase are not implemented', async () => {
    expect((await cloud.run([helper, 'list'])).stdout).toBe('{}\n');
    for (const action of ['store', 'erase']) {
      const run = await cloud.run([helper, action], { stdin: JSON.stringify({ ServerURL: ACME, Username: 'u', Secret: 's' }) });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^not implemented: /);
    }
  });

  it('works as a subcommand too, and reports errors on stdout as the protocol wants', async () => {
    await withFakeCloud({ grants: { 'acs:ram::1000000000000001:role/kubernetesworkerrole-fake': [{ actions: ['cr:ListInstance', 'cr:ListInstanceEndpoint'] }] } }, async (denied) => {
      const run = await denied.run([providerBinary, 'docker-credential', 'get'], { stdin: ACME });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/is not allowed to call cr:GetAuthorizationToken/);
    });
  });
});

describe('help and arguments', () => {
  it.each([[[]], [['get-credentials']], [['docker-credential']], [['doctor']]])('%j --help', async (command) => {
    const run = await cloud.run([providerBinary, ...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: aliyun-acr-credential-provider/);
    expect(await cloud.requests()).toEqual([]);
  });

  it.each([
    [['get-credentials', 'a/b', '--bogus'], /unknown argument "--bogus" for get-credentials/],
    [['doctor', '--show-secret'], /unknown argument "--show-secret" for doctor/],
    [['get-credentials'], /get-credentials needs IMAGE/],
  ])('%j fails in one line', async (argv, message) => {
    expectOneLineFailure(await cloud.run([providerBinary, ...argv]), message);
  });

  it('takes the verbosity and the config from the environment', async () => {
    const config = file('env.yaml', 'expiringThreshold: 5m\n');
    const run = await cloud.run([providerBinary, 'get-credentials', `${ACME}/team/app`], {
      env: { ALIYUN_ACR_CREDENTIAL_PROVIDER_VERBOSITY: '2', ALIYUN_ACR_CREDENTIAL_PROVIDER_CONFIG: config },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/token for instance cri-acme0000000001/);
    // 1 h less the 5 m margin from the config, less up to 5 % spread.
    expect(JSON.parse(run.stdout).cacheDuration).toMatch(/^5\dm\d+s$/);
  });
});

describe('doctor', () => {
  /** A kubelet setup in scratch: its CredentialProviderConfig and a bin dir holding the provider. */
  function kubeletSetup(name: string, matchImages: string[]): string[] {
    const binDir = join(scratch, `${name}-bin`);
    mkdirSync(binDir, { recursive: true });
    symlinkSync(providerBinary, join(binDir, 'aliyun-acr-credential-provider'));
    const kubeletConfig = file(
      `${name}-kubelet.yaml`,
      `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - name: aliyun-acr-credential-provider\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n    matchImages: ${JSON.stringify(matchImages)}\n    defaultCacheDuration: "0s"\n`,
      0o644,
    );
    return [`--kubelet-config=${kubeletConfig}`, `--bin-dir=${binDir}`];
  }
  const providerConfig = (name: string) =>
    file(`${name}.yaml`, `cache:\n  directory: ${join(scratch, `${name}-cache`)}\ninstances:\n  - instanceId: cri-acme0000000001\n    regionId: cn-hangzhou\n    domains: ${ACME},${ACME_VPC}\n`);

  async function doctor(target: FakeCloud, name: string, matchImages = ['*.*.cr.aliyuncs.com']) {
    // The instance domains must resolve on the node: the VPC one to a private address.
    await target.run(['/bin/sh', '-c', `printf '10.1.2.3 ${ACME_VPC}\\n47.98.1.2 ${ACME}\\n' >> /etc/hosts`]);
    const run = await target.run([providerBinary, 'doctor', '--json', `--config=${providerConfig(name)}`, ...kubeletSetup(name, matchImages)]);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { check: string; status: string; message: string; hint?: string }[] };
    const statusOf = (pattern: RegExp) => report.checks.filter((check) => pattern.test(check.check)).map((check) => check.status);
    return { run, report, statusOf };
  }

  it('finds nothing wrong on a healthy node', async () => {
    const { run, report } = await doctor(cloud, 'healthy');
    expect(run.code, JSON.stringify(report.checks.filter((check) => check.status !== 'ok'))).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.status).every((status) => status === 'ok')).toBe(true);
    const human = await cloud.run([providerBinary, 'doctor', `--config=${providerConfig('healthy-human')}`, ...kubeletSetup('healthy-human', ['*.*.cr.aliyuncs.com'])]);
    expect(human.stdout).toMatch(/^aliyun-acr-credential-provider .* doctor\n/);
    expect(human.stdout).toMatch(/\d+ checks: \d+ ok, 0 warnings, 0 failed\n$/);
  });

  it('finds metadata without hardened mode', async () => {
    await withFakeCloud({ node: { metadataMode: 'optional' } }, async (target) => {
      await target.fault({ service: 'imds', action: 'api/token', kind: 'server-error' });
      const { run, statusOf, report } = await doctor(target, 'tokenless');
      expect(statusOf(/^metadata$/)).toEqual(['warn']);
      expect(report.checks.find((check) => check.check === 'metadata')?.hint).toMatch(/hardened mode/);
      expect(run.code).toBe(0);
    });
  });

  it('finds a missing RAM permission', async () => {
    await withFakeCloud({ grants: { 'acs:ram::1000000000000001:role/kubernetesworkerrole-fake': [{ actions: ['cr:ListInstanceEndpoint'] }] } }, async (target) => {
      const { run, statusOf, report } = await doctor(target, 'denied');
      expect(statusOf(/token$/)).toEqual(['fail']);
      expect(report.checks.find((check) => /token$/.test(check.check))?.hint).toMatch(/add cr:GetAuthorizationToken/);
      expect(run.code).toBe(1);
    });
  });

  it('finds a VPC domain that resolves to a public address', async () => {
    await withFakeCloud({}, async (target) => {
      await target.run(['/bin/sh', '-c', `printf '47.98.7.7 ${ACME_VPC}\\n' >> /etc/hosts`]);
      const run = await target.run([providerBinary, 'doctor', '--json', `--config=${providerConfig('public-vpc')}`, ...kubeletSetup('public-vpc', ['*.*.cr.aliyuncs.com'])]);
      const report = JSON.parse(run.stdout) as { checks: { check: string; status: string; message: string }[] };
      const vpc = report.checks.find((check) => check.check.endsWith(ACME_VPC));
      expect(vpc?.status).toBe('fail');
      expect(vpc?.message).toMatch(/resolves to the public address 47\.98\.7\.7, but it is a VPC domain/);
      expect(run.code).toBe(1);
    });
  });

  it('finds a kubelet config that can never match', async () => {
    const { run, report } = await doctor(cloud, 'never-matches', [`${ACME}/*`]);
    const match = report.checks.find((check) => check.check === 'matchImages');
    expect(match?.status).toBe('fail');
    expect(match?.hint).toMatch(/never write "host\/\*"/);
    expect(run.code).toBe(1);
  });

  it('finds a node without a RAM role', async () => {
    await withFakeCloud({ node: { roleName: null } }, async (target) => {
      const { run, statusOf } = await doctor(target, 'no-role');
      expect(statusOf(/^role$/)).toEqual(['fail']);
      expect(run.code).toBe(1);
    });
  });

  it('finds a cache directory others can read', async () => {
    const directory = join(scratch, 'open-cache-cache');
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o755);
    const { run, statusOf } = await doctor(cloud, 'open-cache');
    expect(statusOf(/^cache$/)).toEqual(['fail']);
    expect(run.code).toBe(1);
  });
});
