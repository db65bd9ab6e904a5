/**
 * Starts a fake Alibaba Cloud (IMDS, CR, STS, the ACR registry token service) in a private
 * network + mount namespace and runs commands inside it, to completion or in the background. Each call gets its own namespace, so test files can run in parallel.
 *
 *   const cloud = await startFakeCloud({ node: { metadataMode: 'optional' } });
 *   const result = await cloud.run([process.execPath, 'dist/plugin.js'], { stdin: request });
 *   await cloud.stop();
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Fault } from '../fake-cloud/faults.js';
import type { IssuedToken } from '../fake-cloud/issued-tokens.js';
import type { LoggedRequest } from '../fake-cloud/request-log.js';
import type { RunResult } from '../fake-cloud/runner.js';
import { resolveScenario, type DeepPartialScenario, type Scenario } from '../fake-cloud/scenario.js';
import { ensureTlsMaterial, type TlsMaterial } from '../fake-cloud/tls.js';

export type { Fault, FaultKind, FaultService } from '../fake-cloud/faults.js';
export type { IssuedToken, RegistryEdition } from '../fake-cloud/issued-tokens.js';
export type { LoggedAuth, LoggedRequest } from '../fake-cloud/request-log.js';
export type { RunResult } from '../fake-cloud/runner.js';
export type { DeepPartialScenario, PersonalRegistryScenario, Scenario } from '../fake-cloud/scenario.js';
export type { TlsMaterial } from '../fake-cloud/tls.js';
export { TEST_REGIONS, type TestRegion } from '../fake-cloud/regions.js';

export interface RunOptions {
  stdin?: string | Buffer;
  /** Added to the minimal default environment (PATH, NODE_EXTRA_CA_CERTS); may override them. */
  env?: Record<string, string>;
  /** Default 30 s; the process group is SIGKILLed when it passes. */
  timeoutMs?: number;
  /** Default: the project root. */
  cwd?: string;
}

export interface StartOptions extends Pick<RunOptions, 'env' | 'cwd'> {
  /** The start is done once the process's output (stdout or stderr) matches this. */
  ready: RegExp;
  /** Default 10 s; the process is killed if it is not ready by then. */
  readyTimeoutMs?: number;
}

/** A process running in the background inside the namespace; the fake cloud kills it when it stops. */
export interface BackgroundProcess {
  pid: number;
  /** SIGTERM to its process group (SIGKILL after 5 s); resolves with how it ended and its output. */
  stop(): Promise<RunResult>;
}

export interface FakeCloud {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a long-running command (a server) inside the namespace; resolves once it is ready. */
  start(argv: string[], opts: StartOptions): Promise<BackgroundProcess>;
  /** The request log so far. */
  requests(): Promise<LoggedRequest[]>;
  clearRequests(): Promise<void>;
  fault(f: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  /** Registry passwords GetAuthorizationToken handed out, with who got them. */
  issuedTokens(): Promise<IssuedToken[]>;
  /** Empties the node's /var/lib/aliyun-acr-credential-provider, the provider's default cache. */
  clearProviderCache(): Promise<void>;
  /** PEM of the test CA (also what run() passes as NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  /** The test CA, the fake's server certificate (it covers every registry domain) and the registry token signer. */
  tls: TlsMaterial;
  /** The effective scenario with defaults filled in. */
  scenario: Scenario;
  stop(): Promise<void>;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../fake-cloud/main.ts', import.meta.url));
const TLS_CACHE = join(PROJECT_ROOT, '.cache', 'test-tls');
/** PATH of the commands run inside the namespace unless a test sets its own. */
export const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** The provider's default cache directory, inside the fake node's private /var/lib. */
const NODE_CACHE_DIR = '/var/lib/aliyun-acr-credential-provider';
const DEFAULT_RUN_TIMEOUT_MS = 30_000;
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const STARTUP_TIMEOUT_MS = 20_000;

/**
 * Runs in the new namespaces before the fake cloud: loopback up, the IMDS address on it,
 * and the (still empty) scratch hosts file over /etc/hosts. `unshare -m` makes the mount
 * private to the namespace; main.ts checks that before it writes anything.
 */
const PROLOGUE = [
  'set -e',
  'ip link set lo up',
  'ip addr add 100.100.100.200/32 dev lo',
  'mount --bind "$1" /etc/hosts',
  // The node's own /var/lib, so the provider's default cache directory is private to this fake node.
  'mount -t tmpfs -o mode=0755 tmpfs /var/lib',
  'shift',
  'exec "$@"',
].join('\n');

function controlRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath, method, path, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed: unknown = text ? JSON.parse(text) : undefined;
        if (res.statusCode === 200) resolve(parsed);
        else reject(new Error(`fake cloud ${method} ${path}: ${(parsed as { error?: string } | undefined)?.error ?? res.statusCode}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Resolves once the supervisor prints its ready line; rejects with its stderr if it dies first. */
async function waitReady(child: ChildProcessByStdio<Writable, Readable, Readable>, stderrText: () => string): Promise<void> {
  let stdout = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('"ready":true')) resolve();
    });
    child.on('exit', (code, signal) => reject(new Error(`fake cloud exited during startup (${code ?? signal}):\n${stderrText()}`)));
    child.on('error', reject);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`fake cloud not ready after ${STARTUP_TIMEOUT_MS} ms:\n${stderrText()}`)), STARTUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startFakeCloud(overrides?: DeepPartialScenario): Promise<FakeCloud> {
  const scenario = resolveScenario(overrides);
  const tls = await ensureTlsMaterial(TLS_CACHE);
  const dir = await mkdtemp(join(tmpdir(), 'fake-cloud-'));
  const socketPath = join(dir, 'control.sock');
  const scenarioPath = join(dir, 'scenario.json');
  const hostsPath = join(dir, 'hosts');
  await writeFile(scenarioPath, JSON.stringify(scenario));
  await writeFile(hostsPath, '');

  // Without root, a user namespace (-r) grants the rights to configure the network and mount.
  const unshareFlags = process.getuid?.() === 0 ? '-nm' : '-rnm';
  const argv = [
    unshareFlags, 'sh', '-c', PROLOGUE, 'fake-cloud-prologue', hostsPath,
    process.execPath, '--import', 'tsx', MAIN,
    '--control', socketPath, '--scenario', scenarioPath, '--hosts', hostsPath,
    '--tls-cert', tls.certPath, '--tls-key', tls.keyPath,
    '--token-cert', tls.tokenCertPath, '--token-key', tls.tokenKeyPath,
  ];
  // stdin stays open as a lifeline: the supervisor exits when this process goes away.
  const child = spawn('unshare', argv, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? DEFAULT_PATH, ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) },
  });
  let stderr = '';
  let ready = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    // Anything the supervisor says after startup is a crash report worth seeing.
    if (ready) process.stderr.write(`[fake-cloud] ${chunk.toString('utf8')}`);
  });
  const exited = once(child, 'exit');

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      await controlRequest(socketPath, 'POST', '/shutdown').catch(() => undefined);
      // The supervisor leads its own process group (detached): kill the group if it lingers.
      const pid = child.pid;
      const grace = setTimeout(() => {
        try {
          if (pid !== undefined) process.kill(-pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, 2000);
      await exited;
      clearTimeout(grace);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  ready = true;

  const control = (method: string, path: string, body?: unknown) => controlRequest(socketPath, method, path, body);
  const command = (argv: string[], opts: Pick<RunOptions, 'env' | 'cwd'>) => ({
    argv,
    env: { PATH: DEFAULT_PATH, NODE_EXTRA_CA_CERTS: tls.caCertPath, ...opts.env },
    cwd: opts.cwd ?? PROJECT_ROOT,
  });
  return {
    caCertPath: tls.caCertPath,
    tls,
    scenario,
    async run(runArgv, opts = {}) {
      const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin).toString('base64');
      return (await control('POST', '/run', {
        ...command(runArgv, opts),
        stdinBase64: stdin,
        timeoutMs: opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      })) as RunResult;
    },
    async start(startArgv, opts) {
      const { pid } = (await control('POST', '/background', {
        ...command(startArgv, opts),
        ready: { source: opts.ready.source, flags: opts.ready.flags },
        readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      })) as { pid: number };
      return { pid, stop: async () => (await control('POST', '/background/stop', { pid })) as RunResult };
    },
    requests: async () => (await control('GET', '/requests')) as LoggedRequest[],
    clearRequests: async () => void (await control('DELETE', '/requests')),
    fault: async (f) => void (await control('POST', '/faults', f)),
    clearFaults: async () => void (await control('DELETE', '/faults')),
    issuedTokens: async () => (await control('GET', '/tokens')) as IssuedToken[],
    async clearProviderCache() {
      const result = (await control('POST', '/run', { argv: ['/bin/rm', '-rf', NODE_CACHE_DIR], env: { PATH: DEFAULT_PATH }, timeoutMs: 5000, cwd: '/' })) as RunResult;
      if (result.code !== 0) throw new Error(`clearing ${NODE_CACHE_DIR} failed: ${result.stderr}`);
    },
    stop,
  };
}
