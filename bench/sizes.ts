/**
 * Size and `xz -9` size of the built binaries. xz -9 takes about a minute per 100 MiB
 * binary, so sizes are remembered by the file's sha256 in .cache/bench/ (the build skips
 * unchanged binaries, so an unchanged product is not compressed again).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';

export interface FileSize {
  path: string;
  bytes: number;
  xzBytes: number;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function xzSize(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // -T1: one block, the same output as a plain `xz -9` whatever the machine.
    const xz = spawn('xz', ['-9', '-T1', '-c', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    xz.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    xz.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    xz.on('error', (error) => reject(new Error(`xz: ${error.message} (Debian package xz-utils)`)));
    xz.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`xz -9 ${path} failed (${code}): ${stderr}`))));
  });
}

/** Sizes of `paths`, compressing up to one file per CPU at a time. */
export async function fileSizes(paths: readonly string[], cacheFile: string): Promise<FileSize[]> {
  const cache = JSON.parse(await readFile(cacheFile, 'utf8').catch(() => '{}')) as Record<string, number>;
  // Only the entries of these files are kept: the cache does not grow with every build.
  const kept: Record<string, number> = {};
  const results: FileSize[] = [];
  const queue = [...paths];
  const worker = async () => {
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      const key = await sha256(path);
      if (cache[key] === undefined) {
        process.stderr.write(`bench: xz -9 ${path} (about a minute)\n`);
        cache[key] = await xzSize(path);
      }
      kept[key] = cache[key];
      results.push({ path, bytes: (await stat(path)).size, xzBytes: cache[key] });
    }
  };
  await Promise.all(Array.from({ length: Math.min(paths.length, availableParallelism()) }, worker));
  await mkdir(dirname(cacheFile), { recursive: true });
  await writeFile(cacheFile, `${JSON.stringify(kept, null, 2)}\n`);
  return paths.map((path) => results.find((r) => r.path === path) as FileSize);
}
