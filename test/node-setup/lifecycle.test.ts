// install.sh, a second run and uninstall.sh on each kind of node: what they write, that the
// second run changes nothing, and that the uninstall leaves every file as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSuccess, kubeletProvider, nodeText as text, RESTART } from './expect-node.js';
import { binaryArgs, createScratchNode, fakeRelease, treeDiff, useReleaseServer, type ScratchNode, type Tree } from './scratch-node.js';
import { expectedChanges, FULL_SETUP_ARGS, HOSTS_BEFORE, HOSTS_ENTRIES, hostsBlock, NODE_KINDS, PATHS } from './scenarios.js';

const V1 = fakeRelease('1.0.0');

const server = useReleaseServer([V1]);

describe.each(NODE_KINDS)('on $name', (kind) => {
  let node: ScratchNode;
  let original: Tree;
  beforeAll(() => {
    node = createScratchNode(kind.before ? { flagsFile: kind.before } : {});
    original = node.snapshot();
  });

  it('installs the binary, both configs, the kubelet flags and the hosts block, then restarts the kubelet', async () => {
    expectSuccess(await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS]));
    expect(node.read(PATHS.binary)).toEqual(V1.binaries.amd64.bytes);
    expect(node.mode(PATHS.binary)).toBe(0o755);
    expect(node.mode(PATHS.providerConfig)).toBe(0o600);
    expect(node.mode(PATHS.kubeletConfig)).toBe(0o644);
    kubeletProvider(node);
    expect(text(node, kind.after.path)).toBe(kind.after.content);
    expect(text(node, '/etc/hosts')).toBe(`${HOSTS_BEFORE}\n${hostsBlock(HOSTS_ENTRIES)}`);
    expect(node.mode('/etc/hosts')).toBe(0o644);
    expect(node.takeSystemctlCalls()).toEqual(RESTART);
    expect(node.tmpLeftovers()).toEqual([]);
    const after = node.snapshot();
    const files = [PATHS.binary, PATHS.providerConfig, PATHS.kubeletConfig, kind.after.path, '/etc/hosts'];
    expect(treeDiff(original, after).map((line) => line.slice(0, line.indexOf(': ')))).toEqual(expectedChanges(original, after, files));
  });

  it('a second run changes nothing (not even a modification time) and restarts nothing', async () => {
    const before = node.snapshot({ mtimes: true });
    const result = await node.script('install.sh', [...binaryArgs(server, V1), ...FULL_SETUP_ARGS]);
    expectSuccess(result);
    expect(result.stdout).toContain('nothing changed');
    expect(treeDiff(before, node.snapshot({ mtimes: true }))).toEqual([]);
    expect(node.takeSystemctlCalls()).toEqual([]);
    expect(node.tmpLeftovers()).toEqual([]);
  });

  it('uninstall.sh puts back every file byte for byte, removes what it created, and restarts the kubelet', async () => {
    expectSuccess(await node.script('uninstall.sh', []));
    expect(treeDiff(original, node.snapshot())).toEqual([]);
    expect(text(node, '/etc/hosts')).toBe(HOSTS_BEFORE);
    expect(node.takeSystemctlCalls()).toEqual(RESTART);
    expect(node.tmpLeftovers()).toEqual([]);
  });
});
