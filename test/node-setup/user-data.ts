/**
 * render-user-data.sh from the tests: parameter files written from install.sh arguments, the
 * renderer run on this machine (it changes nothing), and the parts of its output.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NODE_SETUP_DIR, runCommand, SYSTEM_PATH, type RunResult } from './scratch-node.js';

const MARK = 'ALIYUN_ACR_CREDENTIAL_PROVIDER_EOF';
const SWITCHES = new Set(['--use-vpc-endpoint', '--personal-edition', '--rrsa-require-service-account']);

/** install.sh arguments (`--name value` and switches) as [--name, value] pairs; a switch is "true". */
export function argPairs(args: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i] as string;
    pairs.push([name, SWITCHES.has(name) ? 'true' : (args[++i] as string)]);
  }
  return pairs;
}

/**
 * The parameter file for install.sh arguments: KEY=value lines, values with spaces
 * double-quoted, plus a comment and a blank line the renderer skips.
 */
export function paramsFile(args: readonly string[]): string {
  const lines = argPairs(args).map(([name, value]) => `${name.slice(2).toUpperCase().replaceAll('-', '_')}=${value.includes(' ') ? `"${value}"` : value}`);
  return `${['# node pool "pool-a"', '', ...lines].join('\n')}\n`;
}

export interface Rendered extends RunResult {
  /** Where the output was saved (for running it on a scratch node). */
  path: string;
}

const workDirs: string[] = [];

/** Writes `files` (params.env among them) to a new directory and renders params.env there. */
export async function renderUserData(files: Record<string, string>, env: Record<string, string> = {}): Promise<Rendered> {
  const dir = mkdtempSync(join(tmpdir(), 'user-data-'));
  workDirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  mkdirSync(join(dir, 'tmp'));
  // From another directory: PROVIDER_CONFIG_FILE is relative to the parameter file, not to the cwd.
  const result = await runCommand('bash', [join(NODE_SETUP_DIR, 'render-user-data.sh'), join(dir, 'params.env')], {
    env: { PATH: SYSTEM_PATH, TMPDIR: join(dir, 'tmp'), ...env },
    cwd: NODE_SETUP_DIR,
  });
  const path = join(dir, 'user-data.sh');
  writeFileSync(path, result.stdout);
  return { ...result, path };
}

export function removeRenderDirs(): void {
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The user data split into the embedded install.sh (decoded) and everything else. */
export function userDataParts(userData: string): { installSh: string; rest: string } {
  const start = userData.indexOf(`<<'${MARK}' | gzip -dc`);
  const blobStart = userData.indexOf('\n', start) + 1;
  const blobEnd = userData.indexOf(`\n${MARK}\n`, blobStart);
  if (start === -1 || blobEnd === -1) throw new Error('no embedded install.sh in the user data');
  const installSh = gunzipSync(Buffer.from(userData.slice(blobStart, blobEnd), 'base64')).toString('utf8');
  return { installSh, rest: userData.slice(0, blobStart) + userData.slice(blobEnd) };
}

/** install.sh as the renderer embeds it: no shebang, comment lines or blank lines. */
export function installShWithoutComments(): string {
  const lines = readFileSync(join(NODE_SETUP_DIR, 'install.sh'), 'utf8').split('\n').slice(1);
  return lines.filter((line) => !/^\s*(#|$)/.test(line)).map((line) => `${line}\n`).join('');
}
