/** Runs a command inside the namespace the way kubelet runs a credential provider. */
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

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function killAllRuns(): void {
  for (const pid of running) killGroup(pid);
}

export function runCommand(request: RunRequest): Promise<RunResult> {
  const [command, ...args] = request.argv;
  if (command === undefined) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Own process group, so a timeout also kills whatever the command started.
    const child = spawn(command, args, { env: request.env, cwd: request.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // The command may exit without reading its input.
    child.stdin.on('error', () => {});
    child.stdin.end(request.stdinBase64 === undefined ? undefined : Buffer.from(request.stdinBase64, 'base64'));
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    const timer = setTimeout(() => pid !== undefined && killGroup(pid), request.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        wallMs: Math.round(performance.now() - started),
      });
    });
  });
}
