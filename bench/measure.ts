/**
 * Timed runs inside the fake cloud's namespace (the provider never sees the real
 * 100.100.100.200): wall and CPU time from bash's `time` keyword (getrusage of the child,
 * millisecond resolution; GNU time prints CPU in 10 ms steps), peak RSS from GNU time's %M
 * (the child's ru_maxrss). Neither wrapper is inside the timed interval.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeCloud, LoggedRequest } from '../test/support/cloud.js';

export interface Sample {
  wallMs: number;
  cpuMs: number;
  /** Peak resident set of the measured process, KiB; NaN for a batch. */
  rssKiB: number;
}

export interface RunOutput extends Sample {
  stdout: string;
}

const TIMES = /^bench-times (\d+\.\d+) (\d+\.\d+) (\d+\.\d+)$/m;
const RSS = /^bench-rss (\d+)$/m;
// `--norc`: the runner's stdio are socketpairs, which bash takes for an rsh connection and
// would then read ~/.bashrc. TIMEFORMAT: real, user, sys in ms resolution.
const BASH = ['/bin/bash', '--norc', '-c'];
const TIMEFORMAT = 'TIMEFORMAT="bench-times %3R %3U %3S"';
/** GNU time (Debian package time), not the shell keyword. */
export const GNU_TIME = '/usr/bin/time';
const TIMED = [GNU_TIME, '-f', 'bench-rss %M', ...BASH, `${TIMEFORMAT}; time "$@"`, 'bench'];
/** N copies of "$@" started together, each with its own request file; the clock stops once all are reaped. */
const BATCH = [
  ...BASH,
  `${TIMEFORMAT}; dir=$1; n=$2; shift 2
   time {
     for ((i = 0; i < n; i++)); do "$@" <"$dir/req$i" >"$dir/out$i" 2>"$dir/err$i" & pids[i]=$!; done
     for ((i = 0; i < n; i++)); do wait "\${pids[i]}" || echo "bench-fail $i $?" >&2; done
   }`,
  'bench',
];

function parseTimes(stderr: string): { wallMs: number; cpuMs: number } {
  const times = TIMES.exec(stderr);
  if (!times) throw new Error(`no timing line in:\n${stderr}`);
  return { wallMs: Number(times[1]) * 1000, cpuMs: (Number(times[2]) + Number(times[3])) * 1000 };
}

/** One run of `argv` with `stdin`, which must exit 0. */
export async function timedRun(cloud: FakeCloud, argv: string[], stdin: string): Promise<RunOutput> {
  const run = await cloud.run([...TIMED, ...argv], { stdin });
  if (run.code !== 0) throw new Error(`${argv.join(' ')} exited ${run.code ?? run.signal}:\n${run.stderr}`);
  const rss = RSS.exec(run.stderr);
  if (!rss) throw new Error(`no GNU time line in:\n${run.stderr}`);
  return { ...parseTimes(run.stderr), rssKiB: Number(rss[1]), stdout: run.stdout };
}

/** `stdins.length` runs of `argv` started at once; the clock runs until the last one ends. */
export async function timedBatch(cloud: FakeCloud, argv: string[], stdins: string[]): Promise<{ sample: Sample; stdouts: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'acr-bench-'));
  try {
    await Promise.all(stdins.map((stdin, i) => writeFile(join(dir, `req${i}`), stdin)));
    const run = await cloud.run([...BATCH, dir, String(stdins.length), ...argv]);
    if (run.code !== 0 || run.stderr.includes('bench-fail')) {
      const errors = await Promise.all(stdins.map((_, i) => readFile(join(dir, `err${i}`), 'utf8').catch(() => '')));
      throw new Error(`batch of ${argv.join(' ')} failed:\n${run.stderr}\n${errors.filter(Boolean).join('\n')}`);
    }
    const stdouts = await Promise.all(stdins.map((_, i) => readFile(join(dir, `out${i}`), 'utf8')));
    return { sample: { ...parseTimes(run.stderr), rssKiB: Number.NaN }, stdouts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RequestCount {
  imds: number;
  api: number;
  /** API actions, sorted: what the cloud was asked. */
  actions: string[];
}

export function countRequests(log: readonly LoggedRequest[]): RequestCount {
  const api = log.filter((r) => r.service !== 'imds');
  return { imds: log.length - api.length, api: api.length, actions: api.map((r) => r.action ?? `${r.method} ${r.path}`).sort() };
}
