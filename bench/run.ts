/**
 * `npm run bench [-- --runs 30 --batches 20]`: builds the provider and the baseline
 * single-executable, measures both side by side inside the fake cloud, writes BENCHMARKS.md
 * and prints the tables. `npm run bench -- --fleet [flags]` runs only the fleet simulation
 * (bench/fleet.ts --help).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeCloud, type FakeCloud } from '../test/support/cloud.js';
import { expectKubeletAccepts } from '../test/support/kubelet-rules.js';
import { DEFAULT_FLEET, describeFleet, fleetMain, fleetTable, simulateFleet, type FleetOptions } from './fleet.js';
import { markdownTable, median, MiB, mib, num } from './format.js';
import { countRequests, GNU_TIME, timedBatch, timedRun, type RequestCount, type Sample } from './measure.js';
import { fileSizes, type FileSize } from './sizes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string };
const BASELINE = 'baseline';
const ARCHES = ['amd64', 'arm64'] as const;
/** The fake cloud's default instance (test/fake-cloud/scenario.ts). */
const HOST = 'acme-registry.cn-hangzhou.cr.aliyuncs.com';
const IMAGE = `${HOST}/team/app`;
const API_VERSION = 'credentialprovider.kubelet.k8s.io/v1';
const CONCURRENT = 20;
const MIN_SAMPLES = 20;
/** Unmeasured runs of each binary first: page cache, lazy kernel state. */
const WARMUP = 3;

const BUDGET = { hitWallRatio: 1.15, coldWallRatio: 3, hitRssMiB: 70, coldRssMiB: 90, xzMiB: 45 };

/** The fleet scenarios written to BENCHMARKS.md: the defaults, then one change each. */
const FLEET_SCENARIOS: Partial<FleetOptions>[] = [
  {},
  { restartsAtMs: [12 * 3_600_000] },
  { pullsPerHour: 60 },
  { assumeRoleSessionMs: 3_600_000 },
  { nodeCache: false },
];

type Binary = 'provider' | 'baseline';
type Pair = Record<Binary, Sample[]>;

interface Measurements {
  runs: number;
  batches: number;
  hit: Pair;
  cold: Pair;
  coldRequests: RequestCount[];
  concurrent: Pair;
  concurrentRequests: RequestCount[];
}

function build(args: string[]): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'build.mjs'), ...args], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`node build.mjs ${args.join(' ')} failed`);
}

/** Runs `measure` for each binary `count` times, alternating which goes first to cancel drift. */
async function interleaved(count: number, measure: (binary: Binary) => Promise<Sample>): Promise<Pair> {
  const pair: Pair = { provider: [], baseline: [] };
  for (let i = 0; i < count; i++) {
    const order: Binary[] = i % 2 === 0 ? ['provider', 'baseline'] : ['baseline', 'provider'];
    for (const binary of order) pair[binary].push(await measure(binary));
  }
  return pair;
}

/**
 * Most of a run's RSS is pages of the ~100 MiB executable, and how many of them one fault
 * maps depends on how the file sits in the page cache: right after the build wrote it,
 * runs map ~10-13 MiB more than once it has been read back from disk. Dropping both
 * binaries from the page cache first (the state after a reboot) makes RSS reproducible.
 */
function dropFromPageCache(paths: string[]): void {
  for (const path of paths) {
    const dd = spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
    if (dd.status !== 0) throw new Error(`dd iflag=nocache ${path} failed: ${dd.stderr}`);
  }
}

/** What the kubelet writes on stdin for `image` (test/support/binary.ts). */
type KubeletRequest = (image: string, apiVersion: string) => string;

async function measureAll(cloud: FakeCloud, bin: Record<Binary, string>, kubeletRequest: KubeletRequest, runs: number, batches: number): Promise<Measurements> {
  const request = kubeletRequest(IMAGE, API_VERSION);
  const check = (binary: Binary, stdout: string, image = IMAGE) => {
    if (binary === 'provider') return expectKubeletAccepts(stdout, API_VERSION, image).auth[HOST]?.password;
    if (stdout.trim() !== '{}') throw new Error(`the baseline printed ${JSON.stringify(stdout)}`);
    return undefined;
  };
  const once = async (binary: Binary) => {
    const run = await timedRun(cloud, [bin[binary]], request);
    check(binary, run.stdout);
    return run;
  };
  const say = (text: string) => process.stderr.write(`bench: ${text}\n`);

  dropFromPageCache(Object.values(bin));
  // Cache hit: fill the node cache once, then no run may reach the cloud.
  await cloud.clearProviderCache();
  for (let i = 0; i < WARMUP; i++) await interleaved(1, once);
  say(`cache-hit runs: ${runs} of each`);
  await cloud.clearRequests();
  const hit = await interleaved(runs, once);
  const leaked = await cloud.requests();
  if (leaked.length) throw new Error(`cache-hit runs called the cloud ${leaked.length} times: ${leaked.map((r) => r.action ?? r.path).join(', ')}`);

  say(`cold runs: ${runs} of each`);
  const coldRequests: RequestCount[] = [];
  const cold = await interleaved(runs, async (binary) => {
    if (binary === 'baseline') return once(binary);
    await cloud.clearProviderCache();
    await cloud.clearRequests();
    const run = await once(binary);
    coldRequests.push(countRequests(await cloud.requests()));
    return run;
  });

  say(`${CONCURRENT} concurrent runs: ${batches} batches of each`);
  const images = Array.from({ length: CONCURRENT }, (_, i) => `${HOST}/team/app-${i}`);
  const stdins = images.map((image) => kubeletRequest(image, API_VERSION));
  const concurrentRequests: RequestCount[] = [];
  const concurrent = await interleaved(batches, async (binary) => {
    await cloud.clearProviderCache();
    await cloud.clearRequests();
    const { sample, stdouts } = await timedBatch(cloud, [bin[binary]], stdins);
    const passwords = new Set(stdouts.map((stdout, i) => check(binary, stdout, images[i])));
    if (binary === 'provider') {
      concurrentRequests.push(countRequests(await cloud.requests()));
      if (passwords.size !== 1) throw new Error(`${CONCURRENT} concurrent runs handed out ${passwords.size} different tokens`);
    }
    return sample;
  });
  return { runs, batches, hit, cold, coldRequests, concurrent, concurrentRequests };
}

// ---- report ------------------------------------------------------------------------

interface Row {
  cells: string[];
  /** undefined: no budget on this line. */
  met?: boolean;
}

const ms = (v: number) => `${num(v)} ms`;
const kib = (v: number) => mib(v * 1024);

/** "median provider | median baseline | ratio" for one measure. */
function compare(pair: Pair, pick: (s: Sample) => number, unit: (v: number) => string): { cells: string[]; ratio: number; provider: number } {
  const provider = median(pair.provider.map(pick));
  const baseline = median(pair.baseline.map(pick));
  const ratio = provider / baseline;
  return { cells: [unit(provider), unit(baseline), `${ratio.toFixed(2)}×`], ratio, provider };
}

/** The request pattern(s) seen: "6: 3 metadata + 3 API (…)", or each pattern with how often it came up. */
function requestsCell(counts: RequestCount[]): string {
  const patterns = new Map<string, { count: RequestCount; times: number }>();
  for (const count of counts) {
    const key = `${count.imds}|${count.actions.join()}`;
    const seen = patterns.get(key);
    if (seen) seen.times++;
    else patterns.set(key, { count, times: 1 });
  }
  const sorted = [...patterns.values()].sort((x, y) => y.times - x.times);
  const sameActions = new Set(sorted.map((p) => p.count.actions.join())).size === 1;
  const describe = ({ count, times }: { count: RequestCount; times: number }) =>
    `${count.imds + count.api}: ${count.imds} metadata + ${count.api} API${sameActions ? '' : ` (${count.actions.join(', ')})`}${sorted.length > 1 ? ` in ${times} of ${counts.length}` : ''}`;
  const actions = sameActions && sorted[0] ? ` (${sorted[0].count.actions.join(', ')})` : '';
  return sorted.length ? `${sorted.map(describe).join('; ')}${actions}` : '–';
}

function resultRows(m: Measurements, sizes: FileSize[]): Row[] {
  const rows: Row[] = [];
  const timing = (label: string, pair: Pair, budget?: { ratio?: number; rssMiB?: number }) => {
    const wall = compare(pair, (s) => s.wallMs, ms);
    rows.push({ cells: [`${label}: wall`, ...wall.cells, budget?.ratio ? `≤ ${budget.ratio}× baseline` : ''], met: budget?.ratio ? wall.ratio <= budget.ratio : undefined });
    rows.push({ cells: [`${label}: CPU user+sys`, ...compare(pair, (s) => s.cpuMs, ms).cells, ''] });
    if (budget?.rssMiB) {
      const rss = compare(pair, (s) => s.rssKiB, kib);
      rows.push({ cells: [`${label}: peak RSS`, ...rss.cells, `≤ ${budget.rssMiB} MiB`], met: (rss.provider * 1024) / MiB <= budget.rssMiB });
    }
  };
  timing('cache-hit run', m.hit, { ratio: BUDGET.hitWallRatio, rssMiB: BUDGET.hitRssMiB });
  timing('cold run', m.cold, { ratio: BUDGET.coldWallRatio, rssMiB: BUDGET.coldRssMiB });
  rows.push({ cells: ['cold run: HTTP requests', requestsCell(m.coldRequests), '0', '', ''] });
  timing(`${CONCURRENT} concurrent runs, empty cache`, m.concurrent);
  rows.push({ cells: [`${CONCURRENT} concurrent runs: HTTP requests`, requestsCell(m.concurrentRequests), '0', '', ''] });
  for (const arch of ARCHES) {
    const size = (binary: Binary) => sizes.find((s) => s.path === binaryPath(binary, arch)) as FileSize;
    const [provider, baseline] = [size('provider'), size('baseline')];
    rows.push({ cells: [`${arch} binary`, mib(provider.bytes), mib(baseline.bytes), `${(provider.bytes / baseline.bytes).toFixed(2)}×`, ''] });
    rows.push({
      cells: [`${arch} binary, xz -9`, mib(provider.xzBytes), mib(baseline.xzBytes), `${(provider.xzBytes / baseline.xzBytes).toFixed(2)}×`, `≤ ${BUDGET.xzMiB} MiB`],
      met: provider.xzBytes / MiB <= BUDGET.xzMiB,
    });
  }
  return rows;
}

function resultsTable(rows: Row[]): string {
  const status = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**not met**');
  return markdownTable(
    ['measure', 'provider', 'baseline', 'ratio', 'budget', 'status'],
    rows.map((row) => [...row.cells, status(row.met)]),
  );
}

function machine(loadAverage: number[]): string {
  const cpus = os.cpus();
  const seaNode = (JSON.parse(readFileSync(join(ROOT, 'node_modules', `node-linux-${process.arch}`, 'package.json'), 'utf8')) as { version: string }).version;
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' });
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores (${os.arch()})`,
    `- memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- kernel: ${os.type()} ${os.release()}`,
    `- load average (1, 5, 15 min) when the measurements started: ${loadAverage.map((v) => v.toFixed(2)).join(', ')}`,
    `- Node: ${seaNode} in the single-executables; ${process.version} runs the bench and the fake cloud`,
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}${git.status === 0 ? `, commit ${git.stdout.trim()}` : ''}`,
  ].join('\n');
}

function binaryPath(binary: Binary, arch: (typeof ARCHES)[number]): string {
  return binary === 'provider' ? join(ROOT, 'dist', `${PACKAGE.name}-linux-${arch}`) : join(ROOT, 'dist', BASELINE, `${BASELINE}-linux-${arch}`);
}

function document(m: Measurements, loadAverage: number[], rows: Row[], fleet: string): string {
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts): do not edit by hand, run it again. Every
timing is taken in the same run, side by side with a **baseline** single-executable that
only prints \`{}\` (bench/baseline.ts, built by the same \`node build.mjs\` pipeline: same
Node, stripped, with code cache), and given as the ratio of the medians.

## Machine

${machine(loadAverage)}

## Results

${resultsTable(rows)}

Medians of ${m.runs} runs of each binary (concurrent: ${m.batches} batches of each), amd64;
arm64 is built and sized only (it would run under qemu here).

## Method

- Every run happens inside the fake cloud's network and mount namespace
  (test/support/cloud.ts): \`100.100.100.200\` and the \`*.aliyuncs.com\` hosts are the fake
  there, so the provider can never reach the real metadata service.
- Runs of the provider and the baseline alternate (which one goes first alternates too), so
  drift on the machine hits both alike; ${WARMUP} unmeasured runs of each come first.
- Wall and CPU time (user + sys) come from bash's \`time\` keyword around the binary alone
  (getrusage of the child, millisecond resolution); peak RSS from GNU time's \`%M\` (the
  child's \`ru_maxrss\`): \`/usr/bin/time -f %M bash -c 'time "$@"' <binary>\`. Neither
  wrapper is inside the timed interval.
- The machine may be shared with other work: the load average above says how busy it was;
  ratios hold up better than absolute times.
- RSS is mostly (75-80 %) pages of the executable itself, shared and reclaimable; how
  many a run maps depends on the page cache. Both binaries are dropped from the page
  cache (\`dd iflag=nocache\`) before the runs, as after a reboot; straight after the
  build both read 10-13 MiB more.
- **cache-hit run**: the node cache (\`/var/lib/aliyun-acr-credential-provider\`) holds the
  token and the instance lookup; the bench fails if any of these runs calls the cloud.
- **cold run**: the node cache is emptied before each provider run: metadata service
  (hardened-mode token, role, credentials), then ListInstance, ListInstanceEndpoint and
  GetAuthorizationToken. The fake cloud answers at once, so the real cloud's latency is
  not in these figures.
- **${CONCURRENT} concurrent runs**: ${CONCURRENT} processes started together by one shell for
  ${CONCURRENT} repositories of one instance, empty cache; wall time until the last one ends,
  CPU time of all of them; the bench checks that all got the same token. A run that takes
  the token lock after another made the instance lookup reads the metadata service
  itself (3 more metadata requests, still one token).
- **sizes**: the files in \`dist/\` and \`xz -9\` of each (the budget is on the compressed size).

## Fleet simulation

\`node --import tsx bench/fleet.ts --help\` (or \`npm run bench -- --fleet ...\`): the
product's rules (chooseCacheDuration, tokenRefreshAtMs, spreadCacheDuration,
resolutionRefreshAtMs, the 15 m default threshold) on a simulated fleet; the model is
described at the top of bench/fleet.ts. Defaults: ${describeFleet(DEFAULT_FLEET)}. Each
other column changes one thing. Rates are API calls per second; "busiest instance" is the
most loaded instance (the limit of one instance's API), "all instances" what an
account-wide limit sees. STS is called only with \`assumeRoleARN\` (the node role's
credentials come from the metadata service).

${fleet}
`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--fleet')) {
    fleetMain(argv.filter((arg) => arg !== '--fleet'));
    return;
  }
  const { values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '30' }, batches: { type: 'string', default: String(MIN_SAMPLES) } }, strict: true });
  const runs = Number(values.runs);
  const batches = Number(values.batches);
  if (!(Number.isInteger(runs) && runs >= MIN_SAMPLES && Number.isInteger(batches) && batches >= MIN_SAMPLES)) {
    throw new Error(`--runs and --batches must be whole numbers of at least ${MIN_SAMPLES}`);
  }

  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install the Debian package time (scripts/setup-machine.sh)`);
  build([]);
  build(['--entry', 'bench/baseline.ts', '--name', BASELINE]);
  // binary.ts checks at import time that the provider is built: import it only now.
  const { providerBinary, kubeletRequest } = await import('../test/support/binary.js');
  const arch = ARCHES.find((a) => providerBinary.endsWith(`-linux-${a}`));
  if (!arch) throw new Error(`cannot tell the architecture of ${providerBinary}`);
  const bin: Record<Binary, string> = { provider: providerBinary, baseline: binaryPath('baseline', arch) };

  const loadAverage = os.loadavg();
  const cloud = await startFakeCloud();
  let m: Measurements;
  try {
    m = await measureAll(cloud, bin, kubeletRequest, runs, batches);
  } finally {
    await cloud.stop();
  }
  // After the timings: xz must not compete with them for the CPU.
  const sizes = await fileSizes(
    ARCHES.flatMap((a) => [binaryPath('provider', a), binaryPath('baseline', a)]),
    join(ROOT, '.cache', 'bench', 'xz-sizes.json'),
  );
  const rows = resultRows(m, sizes);
  const fleet = fleetTable(FLEET_SCENARIOS.map((change) => simulateFleet({ ...DEFAULT_FLEET, ...change })));
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), document(m, loadAverage, rows, fleet));
  process.stdout.write(`${resultsTable(rows)}\n\n${fleet}\n\nwritten to BENCHMARKS.md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
