/**
 * Runs commands inside the namespace: to completion, the way kubelet runs a credential
 * provider, or in the background (a server a test needs), until stopped.
 */
import { spawn } from 'node:child_process';

export interface RunRequest {
  argv: string[];
  /** Base64 of the bytes to write to stdin. */
  stdinBase64?: string;
  /** The complete environment of the process. */
  env: Record<string, string>;
  timeoutMs: number;
  cwd: string;
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Process groups of the commands still running, to kill them when the fake cloud stops. */
const running = new Set<number>();

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function killAllRuns(): void {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
}

interface Spawned {
  pid: number | undefined;
  /** Everything it wrote so far, stdout then stderr. */
  output(): string;
  /** Settles once it exited and closed its output. */
  closed: Promise<RunResult>;
}

/** Starts a command in its own process group (so a kill also reaches whatever it started), tracked in `running`. */
function spawnTracked(request: Omit<RunRequest, 'timeoutMs'>, onOutput?: () => void): Spawned {
  const [command, ...args] = request.argv;
  if (command === undefined) return { pid: undefined, output: () => '', closed: Promise.reject(new Error('run: empty argv')) };
  const started = performance.now();
  const child = spawn(command, args, { env: request.env, cwd: request.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    into.push(chunk);
    onOutput?.();
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  // The command may exit without reading its input.
  child.stdin.on('error', () => {});
  child.stdin.end(request.stdinBase64 === undefined ? undefined : Buffer.from(request.stdinBase64, 'base64'));
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
  const closed = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pid !== undefined) running.delete(pid);
      resolve({ code, signal, stdout: text(stdout), stderr: text(stderr), wallMs: Math.round(performance.now() - started) });
    });
  });
  return { pid, output: () => text(stdout) + text(stderr), closed };
}

export async function runCommand(request: RunRequest): Promise<RunResult> {
  const spawned = spawnTracked(request);
  const timer = setTimeout(() => spawned.pid !== undefined && signalGroup(spawned.pid, 'SIGKILL'), request.timeoutMs);
  try {
    return await spawned.closed;
  } finally {
    clearTimeout(timer);
  }
}

/** A long-running command (a server) that keeps running after its start returns. */
export interface StartRequest extends Omit<RunRequest, 'stdinBase64' | 'timeoutMs'> {
  /** The start is done once its output (stdout or stderr) matches this RegExp. */
  ready: { source: string; flags: string };
  /** It is killed if not ready by then. */
  readyTimeoutMs: number;
}

/** Background processes by pid, until they are stopped. */
const background = new Map<number, Spawned>();
const STOP_GRACE_MS = 5000;

/** Starts a background process; resolves with its pid once it is ready, rejects with its output if it dies or times out first. */
export function startBackground(request: StartRequest): Promise<{ pid: number }> {
  const ready = new RegExp(request.ready.source, request.ready.flags);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (message: string) =>
      settle(() => {
        if (spawned.pid !== undefined) signalGroup(spawned.pid, 'SIGKILL');
        reject(new Error(`${request.argv.join(' ')}: ${message}:\n${spawned.output()}`));
      });
    const spawned = spawnTracked(request, () => {
      if (spawned.pid === undefined || !ready.test(spawned.output())) return;
      const pid = spawned.pid;
      settle(() => {
        background.set(pid, spawned);
        resolve({ pid });
      });
    });
    const timer = setTimeout(() => fail(`not ready after ${request.readyTimeoutMs} ms`), request.readyTimeoutMs);
    spawned.closed.then(
      (result) => fail(`exited before it was ready (${result.code ?? result.signal})`),
      (error: Error) => fail(error.message),
    );
  });
}

/** Stops a background process: SIGTERM to its group, SIGKILL if it lingers; returns how it ended and its output. */
export async function stopBackground(pid: number): Promise<RunResult> {
  const spawned = background.get(pid);
  if (!spawned) throw new Error(`no background process ${pid}`);
  background.delete(pid);
  signalGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
  try {
    return await spawned.closed;
  } finally {
    clearTimeout(timer);
  }
}
