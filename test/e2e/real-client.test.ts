/**
 * A real client pulls with the provider's credentials from a real registry: skopeo (through
 * the Docker credential-helper mode, and with a kubelet response's username and password)
 * against Debian's docker-registry serving an ACR domain, whose token service (the fake
 * cloud's dockerauth-ee) accepts only the passwords GetAuthorizationToken issued.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubeletRequest, providerBinary } from '../support/binary.js';
import { apiCalls } from '../support/clients.js';
import { DEFAULT_PATH, startFakeCloud, type BackgroundProcess, type FakeCloud } from '../support/cloud.js';
import { DOCKER_REGISTRY, REGISTRY_ADDRESS, SKOPEO, skopeo, startRegistry, writeOciImage, type OciImage } from '../support/registry.js';

const ACME = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const ACME_INSTANCE = 'cri-acme0000000001';
const ACMESH = 'acmesh-registry.cn-shanghai.cr.aliyuncs.com';
const REPOSITORY = 'team/app';
const SOURCE = `docker://${ACME}/${REPOSITORY}:v1`;
const WORKER_ROLE = 'acs:ram::1000000000000001:role/kubernetesworkerrole-fake';

// CI installs both (scripts/setup-machine.sh) and must run this; elsewhere say what is missing.
const missing = [SKOPEO, DOCKER_REGISTRY].filter((path) => !existsSync(path));
const skip = missing.length > 0 && process.env.CI !== 'true';
const title = skip ? `real client (skipped: ${missing.join(', ')} not installed, run scripts/setup-machine.sh)` : 'real client';

describe.skipIf(skip)(title, () => {
  let cloud: FakeCloud;
  let registry: BackgroundProcess | undefined;
  let dir: string;
  let image: OciImage;
  let pulls = 0;

  /** A registry password straight from GetAuthorizationToken, through the SDK rather than the provider under test. */
  async function sdkPassword(): Promise<string> {
    const [outcome] = await apiCalls(cloud, { credential: { type: 'ecs_ram_role' }, calls: [{ action: 'GetAuthorizationToken', query: { InstanceId: ACME_INSTANCE } }] });
    if (!outcome?.ok) throw new Error(`GetAuthorizationToken failed: ${JSON.stringify(outcome)}`);
    return String(outcome.body.AuthorizationToken);
  }

  /** The kubelet-mode answer for an image: the username and password it hands out for `domain`. */
  async function kubeletCredential(imageRef: string, domain: string): Promise<{ username: string; password: string }> {
    const run = await cloud.run([providerBinary], { stdin: kubeletRequest(imageRef) });
    expect(run.code, run.stderr).toBe(0);
    const credential = (JSON.parse(run.stdout) as { auth: Record<string, { username: string; password: string }> }).auth[domain];
    if (!credential) throw new Error(`no credential for ${domain} in ${run.stdout}`);
    return credential;
  }

  /** `skopeo copy` of the seeded image into a fresh OCI layout; returns the run and the layout. */
  async function pull(args: string[], env: Record<string, string> = {}) {
    const out = join(dir, `pull-${++pulls}`);
    const run = await skopeo(cloud, dir, ['copy', ...args, SOURCE, `oci:${out}:v1`], env);
    return { run, out };
  }

  async function expectSeededLayer(out: string): Promise<void> {
    const blob = await readFile(join(out, 'blobs', 'sha256', image.layerDigest.slice('sha256:'.length)));
    expect(blob.equals(image.layer)).toBe(true);
  }

  const tokenServiceLog = async () => (await cloud.requests()).filter((r) => r.service === 'dockerauth');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'real-client-'));
    cloud = await startFakeCloud({ extraHosts: { [ACME]: REGISTRY_ADDRESS } });
    [registry, image] = await Promise.all([
      startRegistry(cloud, { domain: ACME, instanceId: ACME_INSTANCE, regionId: 'cn-hangzhou', dir }),
      writeOciImage(join(dir, 'image'), 'v1', { 'hello.txt': 'hello from the fake ACR\n', 'release': 'v1\n' }),
    ]);
    // Seeded as the node role (it may cr:PushRepository), not through the provider under test.
    const seed = await skopeo(cloud, dir, ['copy', '--dest-creds', `cr_temp_user:${await sdkPassword()}`, `oci:${image.layout}:v1`, SOURCE]);
    expect(seed.code, seed.stderr).toBe(0);
  });

  afterAll(async () => {
    await registry?.stop();
    await cloud?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await cloud.clearProviderCache();
    await cloud.clearRequests();
    await cloud.clearFaults();
  });

  it('skopeo pulls through the credential helper named in auth.json credHelpers', async () => {
    const bin = join(dir, 'helper-bin');
    await mkdir(bin, { recursive: true });
    // The name makes the binary a credential helper (as a kubelet plugin it has another).
    await symlink(providerBinary, join(bin, 'docker-credential-aliyun-acr'));
    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ credHelpers: { [ACME]: 'aliyun-acr' } }));
    const started = Date.now();

    const { run, out } = await pull(['--authfile', authFile], { PATH: `${bin}:${DEFAULT_PATH}` });
    expect(run.code, run.stderr).toBe(0);
    await expectSeededLayer(out);

    // The helper got one password, and the token service accepted exactly that one.
    const issued = (await cloud.issuedTokens()).filter((t) => t.issuedAtMs >= started);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ instanceId: ACME_INSTANCE, principal: WORKER_ROLE });
    expect(issued[0]?.logins).toBeGreaterThan(0);
    const log = await tokenServiceLog();
    expect(log.length).toBeGreaterThan(0);
    for (const entry of log) {
      expect(entry).toMatchObject({ host: 'dockerauth-ee.cn-hangzhou.aliyuncs.com', path: '/auth', auth: 'basic', status: 200, principal: WORKER_ROLE });
      expect(entry.params).toMatchObject({ service: ACME_INSTANCE, scope: `repository:${REPOSITORY}:pull` });
    }
  });

  it('skopeo pulls with the username and password of a kubelet response', async () => {
    const { username, password } = await kubeletCredential(`${ACME}/${REPOSITORY}`, ACME);
    const { run, out } = await pull(['--src-creds', `${username}:${password}`]);
    expect(run.code, run.stderr).toBe(0);
    await expectSeededLayer(out);
    expect((await cloud.issuedTokens()).find((t) => t.password === password)?.logins).toBeGreaterThan(0);
  });

  it('the registry refuses a wrong password, an expired one and one of another instance', async () => {
    const { username } = await kubeletCredential(`${ACME}/${REPOSITORY}`, ACME);
    const otherInstance = await kubeletCredential(`${ACMESH}/${REPOSITORY}`, ACMESH);
    await cloud.fault({ service: 'cr', action: 'GetAuthorizationToken', kind: 'expired-token', times: 1 });
    const expired = await sdkPassword();
    await cloud.clearRequests();

    for (const password of ['wrong-password', expired, otherInstance.password]) {
      const { run } = await pull(['--src-creds', `${username}:${password}`]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/unauthorized|invalid username or password/i);
    }
    const log = await tokenServiceLog();
    expect(log.map((entry) => [entry.auth, entry.status])).toEqual(log.map(() => ['basic', 401]));
    expect(log.length).toBeGreaterThanOrEqual(3);
  });
});
