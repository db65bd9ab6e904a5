/**
 * The namespace's /etc/hosts: every API host the fake serves points at 127.0.0.1, plus the
 * scenario's extra hosts.
 * Writing it is only allowed when /etc/hosts is a bind mount of our scratch file in this
 * mount namespace, so this code can never alter the machine's real /etc/hosts.
 */
import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { apiHostNames } from './regions.js';

const HOSTS = '/etc/hosts';

function hostsFileContent(extraHosts: Record<string, string>): string {
  const extra = Object.entries(extraHosts).map(([name, address]) => {
    // One well-formed line each: a name or address with spaces or newlines would add others.
    if (!/^[a-z0-9.-]+$/i.test(name) || !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(address)) throw new Error(`invalid extra host ${JSON.stringify({ [name]: address })}`);
    return `${address} ${name}`;
  });
  const lines = [
    '# Written by the fake cloud inside its private mount namespace.',
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    ...apiHostNames().map((name) => `127.0.0.1 ${name}`),
    ...extra,
  ];
  return `${lines.join('\n')}\n`;
}

/** Mount points listed in /proc/self/mountinfo (field 5, octal escapes decoded). */
async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

/** Writes the hosts file through /etc/hosts after proving it is our scratch file; throws otherwise. */
export async function installHostsFile(scratchPath: string, extraHosts: Record<string, string> = {}): Promise<void> {
  const content = hostsFileContent(extraHosts);
  if (!(await mountPoints()).includes(HOSTS)) {
    throw new Error(`refusing to write ${HOSTS}: it is not a separate mount in this mount namespace`);
  }
  const scratch = await stat(scratchPath);
  // Open without creating or truncating, then check the opened file itself (no race with a remount).
  const handle = await open(HOSTS, constants.O_RDWR);
  try {
    const opened = await handle.stat();
    if (opened.dev !== scratch.dev || opened.ino !== scratch.ino) {
      throw new Error(`refusing to write ${HOSTS}: it is not the bind-mounted scratch file ${scratchPath}`);
    }
    await handle.truncate(0);
    await handle.write(content, 0);
  } finally {
    await handle.close();
  }
}
