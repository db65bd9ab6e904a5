/**
 * A throwaway Kubernetes node for the node-setup scripts: a scratch /etc and an empty /var/lib,
 * bind-mounted over the real ones in a private mount namespace for each run (the network is
 * shared, so a loopback server started here is reachable). The scratch /etc holds what the
 * system tools need (linker cache, alternatives, passwd) plus the node's hosts and kubelet
 * files. It is a whole directory, not single files bind-mounted, so that install.sh's temp
 * file + rename in /etc works as on a node (a rename over a bind-mounted file fails with EBUSY).
 *
 *   const node = createScratchNode({ flagsFile: { path: '/etc/default/kubelet', content: 'KUBELET_EXTRA_ARGS=\n' } });
 *   const result = await node.script('install.sh', ['--binary', url, ...]);
 *   expect(treeDiff(before, node.snapshot())).toEqual([]);
 *
 * On PATH, before the system directories: `systemctl` (logs its arguments), `uname` (prints
 * the machine given to run(), x86_64 by default) and, unless run() says otherwise, `kubelet`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const NODE_SETUP_DIR = fileURLToPath(new URL('../../node-setup/', import.meta.url));
export const STATE_DIR = '/var/lib/aliyun-acr-credential-provider-setup';
export const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const RUN_TIMEOUT_MS = 30_000;
/** Node paths that are private to the scratch node, and where they live in its scratch directory. */
const PRIVATE_TREES: readonly (readonly [nodePath: string, scratchName: string])[] = [
  ['/etc', 'etc'],
  ['/var/lib', 'var-lib'],
];
/** What bash, coreutils, awk (an alternatives symlink on Debian) and curl read from /etc. */
const ETC_FOR_TOOLS = ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'nsswitch.conf', 'passwd', 'group'];
/** Directories every node has. */
const ETC_DIRS = ['default', 'systemd/system'];
const PROLOGUE = 'set -e\nmount --bind "$1/etc" /etc\nmount --bind "$1/var-lib" /var/lib\nshift\nexec "$@"';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** What `uname -m` prints; default x86_64. */
  machine?: string;
  /** Whether `kubelet` is on PATH; default true. */
  kubelet?: boolean;
  env?: Record<string, string>;
}

export interface ScratchNodeOptions {
  /** /etc/hosts; default: two localhost lines without a final newline. */
  hosts?: string;
  /** A kubelet flags file the node starts with (the ACK or kubeadm one). */
  flagsFile?: { path: string; content: string };
}

export interface ScratchNode {
  readonly scratch: string;
  /** Where a node path (/etc/..., /var/lib/...) is on this machine. */
  hostPath(nodePath: string): string;
  read(nodePath: string): Buffer;
  exists(nodePath: string): boolean;
  write(nodePath: string, content: string | Buffer): void;
  /** Mode bits (0o777) of a node path. */
  mode(nodePath: string): number;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Runs node-setup/<name> with bash. */
  script(name: string, args: string[], opts?: RunOptions): Promise<RunResult>;
  /** systemctl calls since the last call of this function. */
  takeSystemctlCalls(): string[];
  /** Entries left in the runs' TMPDIR (the scripts must clean up). */
  tmpLeftovers(): string[];
  snapshot(opts?: { mtimes?: boolean }): Tree;
}

const nodes: ScratchNode[] = [];

/** Runs a command to its end (killed after 30 s), collecting its output. */
export function runCommand(command: string, args: string[], opts: { env: Record<string, string>; cwd: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function seedEtc(target: string): void {
  mkdirSync(target);
  const sources = ETC_FOR_TOOLS.map((name) => join('/etc', name)).filter((path) => existsSync(path));
  const copy = spawnSync('cp', ['-a', ...sources, target], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`copying ${sources.join(' ')} failed: ${copy.stderr}`);
  for (const dir of ETC_DIRS) mkdirSync(join(target, dir), { recursive: true });
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function createScratchNode(options: ScratchNodeOptions = {}): ScratchNode {
  const scratch = mkdtempSync(join(tmpdir(), 'scratch-node-'));
  seedEtc(join(scratch, 'etc'));
  for (const dir of ['var-lib', 'tmp', 'bin', 'kubelet-bin']) mkdirSync(join(scratch, dir));
  const systemctlLog = join(scratch, 'systemctl.log');
  writeFileSync(systemctlLog, '');
  writeExecutable(join(scratch, 'bin', 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >>'${systemctlLog}'\n`);
  writeExecutable(join(scratch, 'bin', 'uname'), '#!/bin/sh\nprintf \'%s\\n\' "${FAKE_MACHINE:-x86_64}"\n');
  writeExecutable(join(scratch, 'kubelet-bin', 'kubelet'), '#!/bin/sh\necho "Kubernetes v1.33.1"\n');

  const hostPath = (nodePath: string): string => {
    const tree = PRIVATE_TREES.find(([prefix]) => nodePath === prefix || nodePath.startsWith(`${prefix}/`));
    if (!tree) throw new Error(`${nodePath} is not private to the scratch node`);
    return join(scratch, tree[1], nodePath.slice(tree[0].length));
  };
  const write = (nodePath: string, content: string | Buffer): void => {
    mkdirSync(dirname(hostPath(nodePath)), { recursive: true });
    writeFileSync(hostPath(nodePath), content);
  };
  write('/etc/hosts', options.hosts ?? '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost');
  chmodSync(hostPath('/etc/hosts'), 0o644);
  if (options.flagsFile) write(options.flagsFile.path, options.flagsFile.content);

  const run = (argv: string[], opts: RunOptions = {}): Promise<RunResult> => {
    const path = [join(scratch, 'bin'), ...(opts.kubelet === false ? [] : [join(scratch, 'kubelet-bin')]), SYSTEM_PATH].join(':');
    const env = { PATH: path, TMPDIR: join(scratch, 'tmp'), FAKE_MACHINE: opts.machine ?? 'x86_64', ...opts.env };
    // Without root, a user namespace (-r) grants the right to mount.
    return runCommand('unshare', [process.getuid?.() === 0 ? '-m' : '-rm', 'sh', '-c', PROLOGUE, 'scratch-node', scratch, ...argv], { env, cwd: scratch });
  };

  const node: ScratchNode = {
    scratch,
    hostPath,
    read: (nodePath) => readFileSync(hostPath(nodePath)),
    exists: (nodePath) => existsSync(hostPath(nodePath)),
    write,
    mode: (nodePath) => lstatSync(hostPath(nodePath)).mode & 0o777,
    run,
    script: (name, args, opts) => run(['bash', join(NODE_SETUP_DIR, name), ...args], opts),
    takeSystemctlCalls() {
      const calls = readFileSync(systemctlLog, 'utf8').split('\n').filter((line) => line !== '');
      writeFileSync(systemctlLog, '');
      return calls;
    },
    tmpLeftovers: () => readdirSync(join(scratch, 'tmp')),
    snapshot: (opts = {}) => new Map(PRIVATE_TREES.flatMap(([nodePath, name]) => [...walk(join(scratch, name), nodePath, opts.mtimes ?? false)])),
  };
  nodes.push(node);
  return node;
}

/** Removes the scratch directories of every scratch node made so far (call it in afterAll). */
export function removeScratchNodes(): void {
  for (const node of nodes.splice(0)) rmSync(node.scratch, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Trees: every entry under the private directories with its type, mode, owner and content hash.

/** Node path → "file 644 0:0 <sha256>" (and the mtime when asked for). */
export type Tree = Map<string, string>;

/** PATH (shown as nodePath) and, for a directory, everything under it. */
function* walk(path: string, nodePath: string, mtimes: boolean): Generator<[string, string]> {
  const stat = lstatSync(path);
  const meta = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}${mtimes ? ` mtime=${stat.mtimeMs}` : ''}`;
  if (stat.isDirectory()) {
    yield [nodePath, `dir ${meta}`];
    for (const name of readdirSync(path).sort()) yield* walk(join(path, name), `${nodePath}/${name}`, mtimes);
  } else if (stat.isSymbolicLink()) {
    yield [nodePath, `link ${readlinkSync(path)}`];
  } else if (stat.isFile()) {
    yield [nodePath, `file ${meta} ${sha256(readFileSync(path))}`];
  } else {
    yield [nodePath, `other ${meta}`];
  }
}

/** One line per entry that differs: "path: before -> after" (absent as "-"). */
export function treeDiff(before: Tree, after: Tree, ignore: readonly string[] = []): string[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].filter((path) => !ignore.includes(path)).sort();
  return paths.filter((path) => before.get(path) !== after.get(path)).map((path) => `${path}: ${before.get(path) ?? '-'} -> ${after.get(path) ?? '-'}`);
}

// ---------------------------------------------------------------------------------------------
// Releases: fake provider binaries served over HTTP from this process.

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

export interface FakeBinary {
  bytes: Buffer;
  sha256: string;
}

export type Arch = 'amd64' | 'arm64';

/** A small executable standing in for the real one: it prints its version and architecture. */
export function fakeBinary(version: string, arch: Arch): FakeBinary {
  const bytes = Buffer.from(`#!/bin/sh\necho "aliyun-acr-credential-provider ${version} linux/${arch} (fake)"\n`);
  return { bytes, sha256: sha256(bytes) };
}

export interface Release {
  version: string;
  binaries: Record<Arch, FakeBinary>;
}

export const fakeRelease = (version: string): Release => ({ version, binaries: { amd64: fakeBinary(version, 'amd64'), arm64: fakeBinary(version, 'arm64') } });

export interface ReleaseServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The --binary URL template of a release ({arch} left for install.sh). */
  binaryUrl(release: Release): string;
  /** Paths asked for so far. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves /<version>/aliyun-acr-credential-provider-linux-<arch> for each release; 404 otherwise. */
export async function serveReleases(releases: Release[]): Promise<ReleaseServer> {
  const files = new Map<string, Buffer>();
  for (const release of releases) {
    for (const [arch, binary] of Object.entries(release.binaries)) files.set(`/${release.version}/aliyun-acr-credential-provider-linux-${arch}`, binary.bytes);
  }
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const body = files.get(path);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
    res.end(body ?? 'not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    binaryUrl: (release) => `${url}/${release.version}/aliyun-acr-credential-provider-linux-{arch}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A release server started before the file's tests; after them it stops and the file's
 * scratch nodes are removed. Returns a handle usable at the top level of the file.
 */
export function useReleaseServer(releases: Release[]): ReleaseServer {
  let current: ReleaseServer | undefined;
  beforeAll(async () => {
    current = await serveReleases(releases);
  });
  afterAll(async () => {
    await current?.close();
    removeScratchNodes();
  });
  return new Proxy({} as ReleaseServer, {
    get(_target, property) {
      if (!current) throw new Error('the release server is used before beforeAll started it');
      return current[property as keyof ReleaseServer];
    },
  });
}

/** install.sh's binary parameters for a release: the URL template and both checksums. */
export function binaryArgs(server: ReleaseServer, release: Release): string[] {
  return ['--binary', server.binaryUrl(release), '--sha256-amd64', release.binaries.amd64.sha256, '--sha256-arm64', release.binaries.arm64.sha256];
}
