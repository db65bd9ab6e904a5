// Tests of the artefacts that `node build.mjs` writes to dist/ (npm test runs it first).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, existsSync, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

interface Target {
  arch: 'amd64' | 'arm64';
  nodeArch: string;
  eMachine: number;
  triplet: string;
  qemu: string[];
}

const TARGETS: Target[] = [
  { arch: 'amd64', nodeArch: 'x64', eMachine: 0x3e, triplet: 'x86_64-linux-gnu', qemu: ['qemu-x86_64-static', 'qemu-x86_64'] },
  { arch: 'arm64', nodeArch: 'arm64', eMachine: 0xb7, triplet: 'aarch64-linux-gnu', qemu: ['qemu-aarch64-static', 'qemu-aarch64'] },
];

const binaryPath = (t: Target) => path.join(DIST, `${pkg.name}-linux-${t.arch}`);

function findOnPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) {
      const candidate = path.join(dir || '.', name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function elfHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(20);
    readSync(fd, header, 0, header.length, 0);
    return header;
  } finally {
    closeSync(fd);
  }
}

/** Run the binary with `--version`, natively or under qemu-user. */
function runVersion(command: string[], env: NodeJS.ProcessEnv = process.env) {
  const [cmd, ...args] = command;
  return spawnSync(cmd!, [...args, '--version'], { env, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each(TARGETS.map((t) => [t.arch, t] as const))('dist/*-linux-%s binary', (_arch, t) => {
  const file = binaryPath(t);

  it('exists and is an executable regular file (0755)', () => {
    expect(existsSync(file), `${file} is missing: run \`node build.mjs\``).toBe(true);
    const st = statSync(file);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o755);
    // A single-file executable carries node itself: tens of MiB, not a script.
    expect(st.size).toBeGreaterThan(40 * 1024 * 1024);
  });

  it(`is a 64-bit little-endian ELF for e_machine 0x${t.eMachine.toString(16)}`, () => {
    const h = elfHeader(file);
    expect(h.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(h[4], 'EI_CLASS').toBe(2); // ELFCLASS64
    expect(h[5], 'EI_DATA').toBe(1); // ELFDATA2LSB
    expect(h.readUInt16LE(16), 'e_type').toBe(2); // ET_EXEC (node is built non-PIE)
    expect(h.readUInt16LE(18), 'e_machine').toBe(t.eMachine);
  });

  it('carries the SEA blob (the fuse is flipped)', () => {
    const data = readFileSync(file);
    expect(data.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
  });

  const native = t.nodeArch === process.arch;
  const qemu = native ? undefined : findOnPath(t.qemu);
  const sysroot = `/usr/${t.triplet}`;
  const command = native ? [file] : qemu ? [qemu, ...(existsSync(sysroot) ? ['-L', sysroot] : []), file] : undefined;
  // Never skipped in CI: there a missing qemu fails the test instead.
  const runnable = command !== undefined || !!process.env.CI;
  const how = native ? 'natively' : `under ${qemu ? path.basename(qemu) : 'qemu-user'}`;
  const title = runnable
    ? `--version prints ${pkg.version} ${how} and exits 0, with no warning (code cache accepted)`
    : `--version under qemu-user (SKIPPED: none of ${t.qemu.join(', ')} on PATH; scripts/setup-machine.sh installs it)`;

  it.skipIf(!runnable)(title, () => {
    expect(command, `none of ${t.qemu.join(', ')} on PATH: run scripts/setup-machine.sh`).toBeDefined();
    const result = runVersion(command!);
    expect(result.error).toBeUndefined();
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: `${pkg.version}\n`,
      stderr: '',
    });
  }, 90_000);

  // The build host's own architecture is enough to check the SEA setting both binaries share.
  if (native) it('ignores NODE_OPTIONS: the kubelet environment cannot change how it runs', () => {
    const result = runVersion([file], { ...process.env, NODE_OPTIONS: '--require=/nonexistent-preload.js' });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('dist/SHA256SUMS', () => {
  it('lists exactly the two binaries, by file name, with their current sha256', async () => {
    const text = readFileSync(path.join(DIST, 'SHA256SUMS'), 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map((line) => {
      const m = /^([0-9a-f]{64}) {2}([^/\s]+)$/.exec(line);
      expect(m, `sha256sum line: ${JSON.stringify(line)}`).not.toBeNull();
      return { sha256: m![1], name: m![2] };
    });
    expect(entries.map((e) => e.name).sort()).toEqual(TARGETS.map((t) => path.basename(binaryPath(t))).sort());
    for (const e of entries) {
      expect(await sha256File(path.join(DIST, e.name!)), e.name).toBe(e.sha256);
    }
  }, 60_000);
});
