// Bad input stops install.sh with one line on stderr before anything on the node changes:
// on a fresh node and on one that has the provider installed (a failed upgrade keeps it).
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryArgs, createScratchNode, fakeRelease, sha256, treeDiff, useReleaseServer, type ReleaseServer, type RunOptions, type ScratchNode, type Tree } from './scratch-node.js';
import { ACK_FLAGS_BEFORE, FULL_SETUP_ARGS, PATHS } from './scenarios.js';

const V1 = fakeRelease('1.0.0');
const V2 = fakeRelease('2.0.0');
const SECRET = 'never-print-this-secret';
/** Matches no binary served or installed (an installed binary with the given SHA-256 is not downloaded again). */
const OTHER_SHA256 = sha256('some other build');

interface BadInput {
  name: string;
  /** install.sh parameters, given the release server. */
  args: (server: ReleaseServer) => string[];
  error: RegExp;
  run?: RunOptions;
}

const withHosts = (server: ReleaseServer, entry: string): string[] => [...binaryArgs(server, V2), '--hosts', entry];

const BAD_INPUTS: BadInput[] = [
  { name: 'no SHA-256 at all', args: (server) => ['--binary', server.binaryUrl(V2)], error: /--sha256-amd64 or --sha256-arm64 is required/ },
  {
    name: 'no SHA-256 for this architecture',
    args: (server) => ['--binary', server.binaryUrl(V2), '--sha256-arm64', V2.binaries.arm64.sha256],
    error: /--sha256-amd64 is required on this amd64 node/,
  },
  { name: 'a malformed SHA-256', args: (server) => ['--binary', server.binaryUrl(V2), '--sha256-amd64', 'abc123'], error: /"abc123" is not a SHA-256/ },
  {
    name: 'a SHA-256 that does not match the download',
    args: (server) => ['--binary', server.binaryUrl(V2), '--sha256-amd64', OTHER_SHA256],
    error: /SHA-256 mismatch for http:\/\/127\.0\.0\.1:\d+\/2\.0\.0\/aliyun-acr-credential-provider-linux-amd64: expected [0-9a-f]{64}, got [0-9a-f]{64}/,
  },
  {
    name: 'an unreachable URL (nothing listens)',
    args: () => ['--binary', 'http://127.0.0.1:1/provider-{arch}?Signature=secret', '--sha256-amd64', V2.binaries.amd64.sha256],
    error: /cannot download http:\/\/127\.0\.0\.1:1\/provider-amd64: curl: \(7\)/,
  },
  { name: 'a URL that answers 404', args: (server) => ['--binary', `${server.url}/9.9.9/missing-{arch}`, '--sha256-amd64', V2.binaries.amd64.sha256], error: /cannot download .*404/ },
  { name: 'a missing local file', args: () => ['--binary', '/nonexistent/provider', '--sha256-amd64', V2.binaries.amd64.sha256], error: /binary \/nonexistent\/provider not found/ },
  { name: 'an unknown architecture', args: (server) => binaryArgs(server, V2), run: { machine: 'riscv64' }, error: /unsupported architecture "riscv64" \(uname -m\)/ },
  { name: 'no kubelet on the node', args: (server) => binaryArgs(server, V2), run: { kubelet: false }, error: /kubelet not found \(not on PATH, no \/usr\/bin\/kubelet\)/ },
  { name: 'an IPv4 octet over 255', args: (server) => withHosts(server, '300.1.1.1 a.example.com'), error: /"300\.1\.1\.1" is not an IPv4 or IPv6 address/ },
  { name: 'an IPv4 address with three parts', args: (server) => withHosts(server, '10.0.0 a.example.com'), error: /"10\.0\.0" is not an IPv4/ },
  { name: 'an IPv4 octet with a leading zero', args: (server) => withHosts(server, '10.0.0.010 a.example.com'), error: /"10\.0\.0\.010" is not/ },
  { name: 'an IPv6 address with two "::"', args: (server) => withHosts(server, 'fd00::1::2 a.example.com'), error: /"fd00::1::2" is not an IPv4 or IPv6 address/ },
  { name: 'an IPv6 address with nine groups', args: (server) => withHosts(server, '1:2:3:4:5:6:7:8:9 a.example.com'), error: /"1:2:3:4:5:6:7:8:9" is not/ },
  { name: 'a domain with an underscore', args: (server) => withHosts(server, '10.0.0.1 bad_name.example.com'), error: /"bad_name\.example\.com" is not a domain name/ },
  { name: 'a domain label starting with "-"', args: (server) => withHosts(server, '10.0.0.1 -a.example.com'), error: /"-a\.example\.com" is not a domain name/ },
  { name: 'a wildcard domain in /etc/hosts', args: (server) => withHosts(server, '10.0.0.1 *.example.com'), error: /"\*\.example\.com" is not a domain name/ },
  { name: 'an IP address without a domain', args: (server) => withHosts(server, '10.0.0.1'), error: /give an IP address and at least one domain/ },
  { name: 'a domain swapped with the IP address', args: (server) => withHosts(server, 'registry.acme.example 10.0.0.1'), error: /"registry\.acme\.example" is not an IPv4 or IPv6 address/ },
  {
    name: 'a custom domain with a scheme',
    args: (server) => [...binaryArgs(server, V2), '--instance', 'instanceId=cri-acme0000000001;domains=https://registry.acme.example'],
    error: /--instance #1: domains has "https:\/\/registry\.acme\.example", which is not a domain name/,
  },
  { name: 'an unknown instance key', args: (server) => [...binaryArgs(server, V2), '--instance', 'instanceID=cri-acme0000000001'], error: /--instance #1: unknown key "instanceID"/ },
  {
    name: 'an AccessKey secret without its id (the secret is not printed)',
    args: (server) => [...binaryArgs(server, V2), '--instance', `instanceId=cri-acme0000000001;customAccessKeySecret=${SECRET}`],
    error: /customAccessKey and customAccessKeySecret go together/,
  },
  { name: 'a "/*" path glob in --match-image', args: (server) => [...binaryArgs(server, V2), '--match-image', 'registry.acme.example/*'], error: /"host\/\*" never matches/ },
  { name: 'an unknown parameter', args: (server) => [...binaryArgs(server, V2), '--binray', 'x'], error: /unknown parameter --binray/ },
  { name: 'an unknown --mode', args: (server) => [...binaryArgs(server, V2), '--mode', 'kops'], error: /--mode must be auto, ack, env-file or drop-in/ },
];

const server = useReleaseServer([V1, V2]);

interface NodeState {
  name: string;
  prepare(node: ScratchNode): Promise<void>;
}

const NODE_STATES: NodeState[] = [
  { name: 'a fresh ACK node', prepare: async () => undefined },
  {
    name: 'an ACK node with the provider installed',
    async prepare(node) {
      const result = await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS]);
      if (result.code !== 0) throw new Error(result.stderr);
      node.takeSystemctlCalls();
    },
  },
];

describe.each(NODE_STATES)('on $name', (state) => {
  let node: ScratchNode;
  let before: Tree;
  beforeAll(async () => {
    node = createScratchNode({ flagsFile: { path: PATHS.ackFlags, content: ACK_FLAGS_BEFORE } });
    await state.prepare(node);
    before = node.snapshot({ mtimes: true });
  });

  it.each(BAD_INPUTS)('$name: one line on stderr, every file unchanged', async (bad) => {
    const result = await node.script('install.sh', bad.args(server), bad.run);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^install\.sh: error: [^\n]+\n$/);
    expect(result.stderr).toMatch(bad.error);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain('Signature');
    expect(treeDiff(before, node.snapshot({ mtimes: true }))).toEqual([]);
    expect(node.takeSystemctlCalls()).toEqual([]);
    expect(node.tmpLeftovers()).toEqual([]);
  });

  it('a hosts file with our BEGIN marker but no END: one line on stderr, every file unchanged', async () => {
    const hosts = node.read('/etc/hosts');
    node.write('/etc/hosts', '10.0.0.1 a.example.com\n# BEGIN aliyun-acr-credential-provider\n10.0.0.2 b.example.com\n');
    const broken = node.snapshot({ mtimes: true });
    const result = await node.script('install.sh', [...binaryArgs(server, V2), '--hosts', '10.0.0.3 c.example.com']);
    node.write('/etc/hosts', hosts);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^install\.sh: error: \/etc\/hosts has "# BEGIN aliyun-acr-credential-provider" without "# END aliyun-acr-credential-provider": fix it by hand\n$/);
    expect(treeDiff(broken, node.snapshot({ mtimes: true })).filter((line) => !line.startsWith('/etc/hosts:') && !line.startsWith('/etc:'))).toEqual([]);
    expect(node.takeSystemctlCalls()).toEqual([]);
  });
});
