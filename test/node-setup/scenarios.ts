/**
 * What the node-setup tests install: the guide's cross-account setup (account A's cluster
 * pulls from account B's instance over VPC peering or CEN, with /etc/hosts entries) next to a
 * same-account instance with a custom domain, and the node kinds the kubelet flags go to.
 */
import { STATE_DIR, type Tree } from './scratch-node.js';

export const PATHS = {
  binary: '/etc/kubernetes/credential-provider/aliyun-acr-credential-provider',
  providerConfig: '/etc/aliyun-acr-credential-provider/config.yaml',
  kubeletConfig: '/etc/kubernetes/credential-provider-config.yaml',
  ackFlags: '/etc/kubernetes/kubelet-customized-args.conf',
  dropIn: '/etc/systemd/system/kubelet.service.d/20-aliyun-acr-credential-provider.conf',
} as const;

export const KUBELET_FLAGS =
  '--image-credential-provider-config=/etc/kubernetes/credential-provider-config.yaml --image-credential-provider-bin-dir=/etc/kubernetes/credential-provider';

export const ACK_FLAGS_BEFORE = 'KUBELET_CUSTOMIZED_ARGS="--eviction-hard=memory.available<300Mi --system-reserved=cpu=100m,memory=400Mi"\n';

export interface NodeKind {
  name: string;
  /** The kubelet flags file the node starts with, if any. */
  before?: { path: string; content: string };
  /** The file that gets our flags, and its content after the install. */
  after: { path: string; content: string };
}

export const NODE_KINDS: NodeKind[] = [
  {
    name: 'an ACK node (kubelet-customized-args.conf with other flags)',
    before: { path: PATHS.ackFlags, content: ACK_FLAGS_BEFORE },
    after: { path: PATHS.ackFlags, content: `KUBELET_CUSTOMIZED_ARGS="--eviction-hard=memory.available<300Mi --system-reserved=cpu=100m,memory=400Mi ${KUBELET_FLAGS}"\n` },
  },
  {
    name: 'a kubeadm node on Debian (/etc/default/kubelet)',
    before: { path: '/etc/default/kubelet', content: 'KUBELET_EXTRA_ARGS=--node-ip=10.0.0.5\n' },
    after: { path: '/etc/default/kubelet', content: `KUBELET_EXTRA_ARGS="--node-ip=10.0.0.5 ${KUBELET_FLAGS}"\n` },
  },
  {
    name: 'a kubeadm node on RHEL (/etc/sysconfig/kubelet)',
    // No newline at the end, and none added.
    before: { path: '/etc/sysconfig/kubelet', content: '# kubelet extra arguments\nKUBELET_EXTRA_ARGS=' },
    after: { path: '/etc/sysconfig/kubelet', content: `# kubelet extra arguments\nKUBELET_EXTRA_ARGS="${KUBELET_FLAGS}"` },
  },
  {
    name: 'a node without a kubelet environment file (systemd drop-in)',
    after: {
      path: PATHS.dropIn,
      content: `# Written by aliyun-acr-credential-provider node-setup/install.sh; uninstall.sh removes it.\n[Service]\nEnvironment="KUBELET_EXTRA_ARGS=${KUBELET_FLAGS}"\n`,
    },
  },
];

/** The default /etc/hosts of a scratch node: no newline at the end. */
export const HOSTS_BEFORE = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost';

/** Same account, a custom domain next to its ACR domains. */
export const ACME_INSTANCE = 'instanceId=cri-acme0000000001;regionId=cn-hangzhou;domains=acme-registry.cn-hangzhou.cr.aliyuncs.com,acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com,registry.acme.example';
/** Account B's instance, reached through its VPC domain with the guide's Worker RAM role assumption. */
export const OWNED_INSTANCE =
  'instanceId=cri-owned000000001;regionId=cn-shanghai;domains=owned-registry-vpc.cn-shanghai.cr.aliyuncs.com;assumeRoleARN=acs:ram::2000000000000002:role/acr-puller;expireDuration=3600;externalId=acme-external-id';

/** VPC peering / CEN: the instance VPC domain, the auth domain and the OSS bucket domain. */
export const HOSTS_ENTRIES = [
  '192.168.10.5 owned-registry-vpc.cn-shanghai.cr.aliyuncs.com',
  '100.103.0.10 dockerauth-ee-vpc.cn-shanghai.aliyuncs.com',
  '100.118.0.20 acr-ee-example-bucket.oss-cn-shanghai-internal.aliyuncs.com',
];

export const hostsBlock = (entries: readonly string[]): string =>
  `# BEGIN aliyun-acr-credential-provider\n${entries.map((entry) => `${entry}\n`).join('')}# END aliyun-acr-credential-provider\n`;

/** The parameters of the full setup, after the binary ones. */
export const FULL_SETUP_ARGS = [
  ...['--instance', ACME_INSTANCE, '--instance', OWNED_INSTANCE],
  '--use-vpc-endpoint',
  '--personal-edition',
  ...HOSTS_ENTRIES.flatMap((entry) => ['--hosts', entry]),
  ...['--https-proxy', 'http://proxy.acme.internal:3128'],
];

/**
 * The entries a run may add or change: the files, each ancestor directory that was not in
 * `before`, and the state directory.
 */
export function expectedChanges(before: Tree, after: Tree, files: readonly string[]): string[] {
  const expected = new Set<string>();
  for (const file of files) {
    expected.add(file);
    for (let dir = file.slice(0, file.lastIndexOf('/')); dir !== '' && !before.has(dir); dir = dir.slice(0, dir.lastIndexOf('/'))) expected.add(dir);
  }
  for (const path of after.keys()) if (path === STATE_DIR || path.startsWith(`${STATE_DIR}/`)) expected.add(path);
  return [...expected].sort();
}
