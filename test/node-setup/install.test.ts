// install.sh and uninstall.sh beyond the first install: the generated configs for each kind of
// parameter, re-runs with other parameters, upgrades, and uninstalls after others' changes.
import { renameSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { providerMatchesImage, type CredentialProvider } from '../support/kubelet-rules.js';
import { expectSuccess, kubeletProvider, nodeText as text, RESTART } from './expect-node.js';
import { binaryArgs, createScratchNode, fakeRelease, STATE_DIR, treeDiff, useReleaseServer, type ScratchNode } from './scratch-node.js';
import {
  ACK_FLAGS_BEFORE,
  ACME_INSTANCE,
  FULL_SETUP_ARGS,
  HOSTS_BEFORE,
  HOSTS_ENTRIES,
  hostsBlock,
  KUBELET_FLAGS,
  PATHS,
} from './scenarios.js';

const V1 = fakeRelease('1.0.0');
const V2 = fakeRelease('2.0.0');

const server = useReleaseServer([V1, V2]);

/** Installs V1 with the full setup (plus `extra`) on a new ACK node. */
async function installedAckNode(extra: string[] = []): Promise<ScratchNode> {
  const node = createScratchNode({ flagsFile: { path: PATHS.ackFlags, content: ACK_FLAGS_BEFORE } });
  expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS, ...extra]));
  node.takeSystemctlCalls();
  return node;
}

function expectMatches(provider: CredentialProvider, images: readonly string[], expected: boolean): void {
  for (const image of images) expect(providerMatchesImage(provider, image), image).toBe(expected);
}

const CONFIGURED_IMAGES = [
  'acme-registry.cn-hangzhou.cr.aliyuncs.com/team/app',
  'acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com/team/app',
  'registry.acme.example/team/app',
  'owned-registry-vpc.cn-shanghai.cr.aliyuncs.com/team/app',
  // Any other Enterprise Edition instance, public and VPC.
  'other-registry.ap-southeast-1.cr.aliyuncs.com/a/b',
  'other-registry-vpc.ap-southeast-1.cr.aliyuncs.com/a/b',
];
const PERSONAL_IMAGES = [
  'registry.cn-hangzhou.aliyuncs.com/ns/app',
  'registry-vpc.cn-hangzhou.aliyuncs.com/ns/app',
  'registry-internal.cn-hangzhou.aliyuncs.com/ns/app',
  'registry-intl.ap-southeast-1.aliyuncs.com/ns/app',
  'registry-intl-vpc.ap-southeast-1.aliyuncs.com/ns/app',
];
const FOREIGN_IMAGES = ['docker.io/library/nginx', 'registry.example.com/x', 'cr.cn-hangzhou.aliyuncs.com/x'];

describe('the generated configs', () => {
  it('the kubelet accepts the CredentialProviderConfig; it matches every configured domain and no foreign image', async () => {
    const node = await installedAckNode();
    const provider = kubeletProvider(node);
    expectMatches(provider, [...CONFIGURED_IMAGES, ...PERSONAL_IMAGES], true);
    expectMatches(provider, FOREIGN_IMAGES, false);
    expect(provider.defaultCacheDurationMs).toBe(0);
    expect(provider.env).toEqual([
      { name: 'HTTPS_PROXY', value: 'http://proxy.acme.internal:3128' },
      { name: 'NO_PROXY', value: '100.100.100.200' },
    ]);
    expect(provider.tokenAttributes).toBeUndefined();
  });

  it("the provider config holds the instances with the README's keys and parses", async () => {
    const node = await installedAckNode();
    const config = await parseConfig(text(node, PATHS.providerConfig), PATHS.providerConfig);
    expect(config.useVpcEndpoint).toBe(true);
    expect(config.instances).toEqual([
      {
        name: 'instances[0]',
        instanceId: 'cri-acme0000000001',
        regionId: 'cn-hangzhou',
        domains: ['acme-registry.cn-hangzhou.cr.aliyuncs.com', 'acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com', 'registry.acme.example'],
      },
      {
        name: 'instances[1]',
        instanceId: 'cri-owned000000001',
        regionId: 'cn-shanghai',
        domains: ['owned-registry-vpc.cn-shanghai.cr.aliyuncs.com'],
        assumeRoleARN: 'acs:ram::2000000000000002:role/acr-puller',
        expireDuration: 3600,
        externalId: 'acme-external-id',
      },
    ]);
  });

  it('without Personal Edition, Personal Edition hosts are not matched', async () => {
    const node = createScratchNode();
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), '--instance', ACME_INSTANCE]));
    const provider = kubeletProvider(node);
    expectMatches(provider, CONFIGURED_IMAGES.slice(0, 3), true);
    expectMatches(provider, [...PERSONAL_IMAGES, ...FOREIGN_IMAGES], false);
    expect(provider.env).toEqual([]);
  });

  it('a Personal Edition entry (no instanceId) and an AccessKey: Personal hosts matched, config readable by root only', async () => {
    const node = createScratchNode();
    const personal = 'instanceId=;regionId=cn-beijing;customAccessKey=LTAI5tExampleKeyId0000;customAccessKeySecret=example-secret-value';
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), '--instance', personal]));
    expectMatches(kubeletProvider(node), PERSONAL_IMAGES, true);
    expect(node.mode(PATHS.providerConfig)).toBe(0o600);
    const config = await parseConfig(text(node, PATHS.providerConfig), PATHS.providerConfig);
    expect(config.instances).toEqual([
      { name: 'instances[0]', regionId: 'cn-beijing', customAccessKey: { accessKeyId: 'LTAI5tExampleKeyId0000', accessKeySecret: 'example-secret-value' } },
    ]);
  });

  it('RRSA: the provider config gets rrsa and the kubelet sends service account tokens (tokenAttributes)', async () => {
    const node = createScratchNode();
    const rrsa = ['--rrsa-oidc-provider-arn', 'acs:ram::1000000000000001:oidc-provider/ack-rrsa-c0123', '--rrsa-role-arn', 'acs:ram::1000000000000001:role/team-pull'];
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...rrsa]));
    expect(kubeletProvider(node).tokenAttributes).toEqual({
      serviceAccountTokenAudience: 'sts.aliyuncs.com',
      cacheType: 'ServiceAccount',
      requireServiceAccount: false,
      requiredServiceAccountAnnotationKeys: [],
      optionalServiceAccountAnnotationKeys: ['aliyun-acr-credential-provider/role-arn'],
    });
    const config = await parseConfig(text(node, PATHS.providerConfig), PATHS.providerConfig);
    expect(config.rrsa).toEqual({ oidcProviderArn: 'acs:ram::1000000000000001:oidc-provider/ack-rrsa-c0123', roleArn: 'acs:ram::1000000000000001:role/team-pull', requireServiceAccount: false });
  });

  it('--provider-config-file is installed as it is, and --match-image adds a glob', async () => {
    const node = createScratchNode();
    const own = 'instances:\n  - instanceId: cri-acme0000000001\n    domains: [registry.acme.example]\n';
    node.write('/etc/own-provider-config.yaml', own);
    const args = ['--provider-config-file', '/etc/own-provider-config.yaml', '--match-image', '*.acme.example:5000/team'];
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...args]));
    expect(text(node, PATHS.providerConfig)).toBe(own);
    expect(node.mode(PATHS.providerConfig)).toBe(0o600);
    expectMatches(kubeletProvider(node), ['mirror.acme.example:5000/team/app'], true);
  });

  it('an empty config (no parameters) still parses, and IPv6 hosts entries are accepted', async () => {
    const node = createScratchNode();
    const hosts = ['fd00::5 owned-registry-vpc.cn-shanghai.cr.aliyuncs.com', '::ffff:10.0.0.7 registry.acme.example mirror.acme.example'];
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...hosts.flatMap((entry) => ['--hosts', entry])]));
    await expect(parseConfig(text(node, PATHS.providerConfig), PATHS.providerConfig)).resolves.toMatchObject({ instances: [] });
    expect(text(node, '/etc/hosts')).toBe(`${HOSTS_BEFORE}\n${hostsBlock(hosts)}`);
  });
});

describe('re-runs, upgrades and uninstalls', () => {
  it('a new binary (new URL and SHA-256) replaces the old one without a kubelet restart: the kubelet runs it on each pull', async () => {
    const node = await installedAckNode();
    const before = node.snapshot();
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V2), ...FULL_SETUP_ARGS]));
    expect(node.read(PATHS.binary)).toEqual(V2.binaries.amd64.bytes);
    expect(node.mode(PATHS.binary)).toBe(0o755);
    const changed = treeDiff(before, node.snapshot()).filter((line) => !line.startsWith(`${STATE_DIR}/`));
    expect(changed.map((line) => line.slice(0, line.indexOf(': ')))).toEqual([PATHS.binary]);
    expect(node.takeSystemctlCalls()).toEqual([]);
  });

  it('an arm64 node gets the arm64 binary from the {arch} URL, checked with --sha256-arm64', async () => {
    const node = createScratchNode();
    const asked = server.requests.length;
    expectSuccess(await node.script('install.sh', binaryArgs(server, V1), { machine: 'aarch64' }));
    expect(node.read(PATHS.binary)).toEqual(V1.binaries.arm64.bytes);
    expect(server.requests.slice(asked)).toEqual(['/1.0.0/aliyun-acr-credential-provider-linux-arm64']);
  });

  it('a run with the binary already installed downloads nothing', async () => {
    const node = await installedAckNode();
    const asked = server.requests.length;
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS]));
    expect(server.requests.length).toBe(asked);
  });

  it('the binary can come from a local file', async () => {
    const node = createScratchNode();
    node.write('/var/lib/provider-download', V2.binaries.amd64.bytes);
    expectSuccess(await node.script('install.sh', ['--binary', '/var/lib/provider-download', '--sha256-amd64', V2.binaries.amd64.sha256]));
    expect(node.read(PATHS.binary)).toEqual(V2.binaries.amd64.bytes);
  });

  it('new --hosts entries replace the block; a run without --hosts gives /etc/hosts back byte for byte; no restart', async () => {
    const node = await installedAckNode();
    const argsWithout = [...binaryArgs(server, V1), ...FULL_SETUP_ARGS.filter((arg, i, all) => arg !== '--hosts' && all[i - 1] !== '--hosts')];
    expectSuccess(await node.script('install.sh', [...argsWithout, '--hosts', '10.1.2.3 registry.acme.example']));
    expect(text(node, '/etc/hosts')).toBe(`${HOSTS_BEFORE}\n${hostsBlock(['10.1.2.3 registry.acme.example'])}`);
    expectSuccess(await node.script('install.sh', argsWithout));
    expect(text(node, '/etc/hosts')).toBe(HOSTS_BEFORE);
    expect(node.takeSystemctlCalls()).toEqual([]);
  });

  it('our flags already in the ACK file with other values are replaced, and come back on uninstall', async () => {
    const content = 'KUBELET_CUSTOMIZED_ARGS="--image-credential-provider-config=/etc/old.yaml --max-pods=64 --image-credential-provider-bin-dir=/opt/old"\n';
    const node = createScratchNode({ flagsFile: { path: PATHS.ackFlags, content } });
    const original = node.snapshot();
    expectSuccess(await node.script('install.sh', binaryArgs(server, V1)));
    expect(text(node, PATHS.ackFlags)).toBe(`KUBELET_CUSTOMIZED_ARGS="--max-pods=64 ${KUBELET_FLAGS}"\n`);
    expectSuccess(await node.script('uninstall.sh', []));
    expect(treeDiff(original, node.snapshot())).toEqual([]);
  });

  it('a re-run with another --mode moves the flags: the old file goes back to its bytes, the kubelet restarts', async () => {
    const node = await installedAckNode();
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS, '--mode', 'drop-in']));
    expect(text(node, PATHS.ackFlags)).toBe(ACK_FLAGS_BEFORE);
    expect(text(node, PATHS.dropIn)).toContain(`Environment="KUBELET_EXTRA_ARGS=${KUBELET_FLAGS}"`);
    expect(node.takeSystemctlCalls()).toEqual(RESTART);
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS, '--kubelet-env-file', '/etc/default/kubelet']));
    expect(node.exists(PATHS.dropIn)).toBe(false);
    expect(text(node, '/etc/default/kubelet')).toBe(`KUBELET_EXTRA_ARGS="${KUBELET_FLAGS}"\n`);
  });

  it('files changed by somebody else after the install lose only our entries on uninstall, with a warning', async () => {
    const node = await installedAckNode();
    const flags = text(node, PATHS.ackFlags).replace(KUBELET_FLAGS, `${KUBELET_FLAGS} --max-pods=64`);
    node.write(PATHS.ackFlags, flags);
    node.write('/etc/hosts', `${text(node, '/etc/hosts')}10.9.9.9 added.example.com\n`);
    const result = await node.script('uninstall.sh', []);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: \/etc\/kubernetes\/kubelet-customized-args.conf changed since it was installed/);
    expect(text(node, PATHS.ackFlags)).toBe(ACK_FLAGS_BEFORE.replace('"\n', ' --max-pods=64"\n'));
    expect(text(node, '/etc/hosts')).toBe(`${HOSTS_BEFORE}\n10.9.9.9 added.example.com\n`);
    expect(node.exists(PATHS.binary)).toBe(false);
    expect(node.exists(STATE_DIR)).toBe(false);
  });

  it('a symlinked /etc/hosts stays a link: the file it points to gets the block, and gets it back out', async () => {
    const node = createScratchNode();
    renameSync(node.hostPath('/etc/hosts'), node.hostPath('/etc/hosts.real'));
    symlinkSync('hosts.real', node.hostPath('/etc/hosts'));
    const original = node.snapshot();
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), '--hosts', HOSTS_ENTRIES[0] as string]));
    expect(text(node, '/etc/hosts.real')).toBe(`${HOSTS_BEFORE}\n${hostsBlock(HOSTS_ENTRIES.slice(0, 1))}`);
    expectSuccess(await node.script('uninstall.sh', []));
    expect(treeDiff(original, node.snapshot())).toEqual([]);
  });

  it('uninstall on a node without an install changes nothing and restarts nothing', async () => {
    const node = createScratchNode({ flagsFile: { path: PATHS.ackFlags, content: ACK_FLAGS_BEFORE } });
    const before = node.snapshot({ mtimes: true });
    const result = await node.script('uninstall.sh', []);
    expectSuccess(result);
    expect(result.stdout).toContain('nothing to uninstall');
    expect(treeDiff(before, node.snapshot({ mtimes: true }))).toEqual([]);
    expect(node.takeSystemctlCalls()).toEqual([]);
  });
});
