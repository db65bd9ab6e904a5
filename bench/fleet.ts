/**
 * Fleet simulation: how hard a fleet of nodes running the provider hits the ACR (and STS)
 * APIs over a day, with the product's own cache rules imported from src/.
 *
 *   node --import tsx bench/fleet.ts [--nodes 1000 --instances 3 --hours 24 ...]   (--help)
 *   npm run bench -- --fleet [same flags]
 *
 * Model (one registry host per instance, the node's RAM role as identity):
 * - Pulls: a Poisson process per node (`--pulls-per-hour`), each for a uniformly chosen
 *   instance; at t=0 and at each `--restart-at`, every node also pulls `--startup-pulls`
 *   images within `--startup-window` (the pods that start with the fleet).
 * - Kubelet: one in-memory entry per registry (cacheKeyType Registry) kept for the
 *   response's cacheDuration, usable once the provider run that produced it ends; all
 *   entries are lost at a mass restart. It runs the provider for every pull without a
 *   usable entry (its singleflight is per image, so different images run in parallel).
 * - Node cache (src/serve.ts): the instance lookup (ListInstance + ListInstanceEndpoint,
 *   refreshed at resolutionRefreshAtMs) and the token (GetAuthorizationToken, served while
 *   now < tokenRefreshAtMs). A refresh takes `--miss-latency`; runs that need the same
 *   entry meanwhile wait on its lock and make no call of their own. It is empty at t=0 (a
 *   new fleet, or the provider just rolled out) and survives kubelet restarts.
 * - Token expiry: `--token-ttl` (ACR: 1 h), cut to the node role's credentials expiry. The
 *   ECS metadata service hands out credentials of `--credential-ttl` (6 h) and rotates them
 *   once `--credential-rotate-left` is left (the fake cloud's rule: half the lifetime),
 *   at a random phase per node. With `--assume-role DURATION` each token refresh first
 *   calls STS AssumeRole for a session of that length, which then bounds the token
 *   (instance lookups stay as they are: an entry without `domains`).
 * - cacheDuration: chooseCacheDuration then spreadCacheDuration, as the provider does.
 * Deterministic: one seeded PRNG (`--seed`) drives every random choice, the product's
 * spread included.
 */
import { parseArgs } from 'node:util';
import { resolutionRefreshAtMs, spreadCacheDuration, tokenRefreshAtMs } from '../src/cache/token-policy.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { chooseCacheDuration } from '../src/kubelet/cache-duration.js';
import { formatGoDuration, parseDuration } from '../src/kubelet/duration.js';
import { isEntryPoint, markdownTable, num, pct } from './format.js';

export interface FleetOptions {
  nodes: number;
  instances: number;
  hours: number;
  pullsPerHour: number;
  startupPulls: number;
  startupWindowMs: number;
  /** Mass kubelet restarts after t=0 (node caches survive them). */
  restartsAtMs: number[];
  expiringThresholdMs: number;
  tokenTtlMs: number;
  credentialTtlMs: number;
  credentialRotateLeftMs: number;
  /** STS AssumeRole session length; undefined = tokens are fetched as the node role itself. */
  assumeRoleSessionMs: number | undefined;
  nodeCache: boolean;
  hitLatencyMs: number;
  missLatencyMs: number;
  seed: number;
}

export const DEFAULT_FLEET: FleetOptions = {
  nodes: 1000,
  instances: 3,
  hours: 24,
  pullsPerHour: 6,
  startupPulls: 3,
  startupWindowMs: 60_000,
  restartsAtMs: [],
  expiringThresholdMs: DEFAULT_CONFIG.expiringThresholdMs,
  tokenTtlMs: 3_600_000,
  credentialTtlMs: 6 * 3_600_000,
  credentialRotateLeftMs: 3 * 3_600_000,
  assumeRoleSessionMs: undefined,
  nodeCache: DEFAULT_CONFIG.cache.enabled,
  // Real-cloud guesses, not the fake cloud's figures: a cache-hit run is start-up only; a
  // refresh adds the SDK load and 3-4 sequential API round trips.
  hitLatencyMs: 50,
  missLatencyMs: 500,
  seed: 1,
};

export const CALL_KINDS = ['GetAuthorizationToken', 'ListInstance+ListInstanceEndpoint', 'STS AssumeRole'] as const;
export type CallKind = (typeof CALL_KINDS)[number];
const GET_TOKEN = 0;
const LOOKUP = 1;
const ASSUME_ROLE = 2;

export interface CallStats {
  total: number;
  peakPerSecond: number;
  peakAtMs: number;
  /** The busiest 60 s, per second. */
  peakMinutePerSecond: number;
  meanPerSecond: number;
}

export interface FleetResult {
  options: FleetOptions;
  pulls: number;
  /** Pulls the kubelet served from its memory, without running the provider. */
  kubeletHits: number;
  providerRuns: number;
  /** Pulls whose provider run made an API call or waited on another run's. */
  waitedOnApi: number;
  /** The busiest instance for each figure (each maximum taken on its own). */
  perInstance: Record<CallKind | 'all', CallStats>;
  /** Every instance together: what an account-wide limit sees. */
  fleet: Record<CallKind | 'all', CallStats>;
  /** All API calls of all instances: the busiest minute of each hour, per second (do the waves die out?). */
  hourlyPeakMinute: number[];
}

/** mulberry32: small, fast, good enough for a simulation, and the same on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pull {
  t: number;
  instance: number;
}

interface KubeletEntry {
  validFromMs: number;
  expiresAtMs: number;
}

interface NodeEntry {
  refreshAtMs: number;
  /** When the run that wrote it finished: earlier runs wait on its lock. */
  readyAtMs: number;
}

interface TokenEntry extends NodeEntry {
  expiresAtMs: number;
}

export function simulateFleet(options: FleetOptions): FleetResult {
  const o = options;
  const horizonMs = o.hours * 3_600_000;
  const seconds = Math.ceil(horizonMs / 1000);
  const rotationMs = o.credentialTtlMs - o.credentialRotateLeftMs;
  if (!(rotationMs > 0)) throw new Error('--credential-rotate-left must be shorter than --credential-ttl');
  const random = seededRandom(o.seed);
  // calls[(instance * kinds + kind) * seconds + second]
  const calls = new Uint32Array(o.instances * CALL_KINDS.length * seconds);
  const record = (t: number, instance: number, kind: number, count: number) => {
    calls[(instance * CALL_KINDS.length + kind) * seconds + Math.floor(t / 1000)] += count;
  };
  const tally = { pulls: 0, kubeletHits: 0, providerRuns: 0, waitedOnApi: 0 };
  const restarts = [...o.restartsAtMs].filter((r) => r > 0 && r < horizonMs).sort((a, b) => a - b);
  const pullRatePerMs = o.pullsPerHour / 3_600_000;

  for (let node = 0; node < o.nodes; node++) {
    const pulls: Pull[] = [];
    for (const start of [0, ...restarts]) {
      for (let i = 0; i < o.startupPulls; i++) pulls.push({ t: start + random() * o.startupWindowMs, instance: Math.floor(random() * o.instances) });
    }
    for (let t = -Math.log(1 - random()) / pullRatePerMs; t < horizonMs; t += -Math.log(1 - random()) / pullRatePerMs) {
      pulls.push({ t, instance: Math.floor(random() * o.instances) });
    }
    pulls.sort((a, b) => a.t - b.t);

    const credentialPhaseMs = random() * rotationMs;
    const credentialExpiresAtMs = (t: number) => credentialPhaseMs + Math.floor((t - credentialPhaseMs) / rotationMs) * rotationMs + o.credentialTtlMs;
    let kubelet: (KubeletEntry | undefined)[] = [];
    const lookups: (NodeEntry | undefined)[] = [];
    const tokens: (TokenEntry | undefined)[] = [];
    let nextRestart = 0;

    for (const { t, instance } of pulls) {
      if (t >= horizonMs) continue;
      while (nextRestart < restarts.length && (restarts[nextRestart] as number) <= t) {
        kubelet = [];
        nextRestart++;
      }
      tally.pulls++;
      const held = kubelet[instance];
      if (held && held.validFromMs <= t && t < held.expiresAtMs) {
        tally.kubeletHits++;
        continue;
      }
      tally.providerRuns++;
      let doneMs = t + o.hitLatencyMs;
      let waited = false;
      const refreshed = () => {
        waited = true;
        doneMs = t + o.missLatencyMs;
        return doneMs;
      };

      let lookup = o.nodeCache ? lookups[instance] : undefined;
      if (!lookup || t >= lookup.refreshAtMs) {
        record(t, instance, LOOKUP, 2);
        lookup = { refreshAtMs: resolutionRefreshAtMs(t, random), readyAtMs: refreshed() };
        if (o.nodeCache) lookups[instance] = lookup;
      } else if (t < lookup.readyAtMs) {
        waited = true;
        doneMs = Math.max(doneMs, lookup.readyAtMs);
      }

      let token = o.nodeCache ? tokens[instance] : undefined;
      if (!token || !(t < token.refreshAtMs && t < token.expiresAtMs)) {
        let expiresAtMs = t + o.tokenTtlMs;
        if (o.assumeRoleSessionMs === undefined) {
          expiresAtMs = Math.min(expiresAtMs, credentialExpiresAtMs(t));
        } else {
          record(t, instance, ASSUME_ROLE, 1);
          expiresAtMs = Math.min(expiresAtMs, t + o.assumeRoleSessionMs);
        }
        record(t, instance, GET_TOKEN, 1);
        token = { expiresAtMs, refreshAtMs: tokenRefreshAtMs(expiresAtMs, t, o.expiringThresholdMs, random), readyAtMs: refreshed() };
        if (o.nodeCache) tokens[instance] = token;
      } else if (t < token.readyAtMs) {
        waited = true;
        doneMs = Math.max(doneMs, token.readyAtMs);
      }
      if (waited) tally.waitedOnApi++;

      const cacheSeconds = spreadCacheDuration(chooseCacheDuration(token.expiresAtMs, doneMs, o.expiringThresholdMs), random);
      if (cacheSeconds > 0) {
        const expiresAtMs = doneMs + cacheSeconds * 1000;
        // The entry is not usable at t: either gone, or still being made by an earlier run.
        kubelet[instance] =
          held && held.validFromMs > t
            ? { validFromMs: Math.min(held.validFromMs, doneMs), expiresAtMs: Math.max(held.expiresAtMs, expiresAtMs) }
            : { validFromMs: doneMs, expiresAtMs };
      }
    }
  }

  const series = (instances: number[], kinds: number[]): Float64Array => {
    const sum = new Float64Array(seconds);
    for (const instance of instances) {
      for (const kind of kinds) {
        const offset = (instance * CALL_KINDS.length + kind) * seconds;
        for (let s = 0; s < seconds; s++) sum[s] = (sum[s] as number) + (calls[offset + s] as number);
      }
    }
    return sum;
  };
  const allInstances = Array.from({ length: o.instances }, (_, i) => i);
  const allKinds = CALL_KINDS.map((_, index) => index);
  const kindSets: [CallKind | 'all', number[]][] = [...CALL_KINDS.map((kind, index): [CallKind, number[]] => [kind, [index]]), ['all', allKinds]];
  const perInstance = {} as Record<CallKind | 'all', CallStats>;
  const fleet = {} as Record<CallKind | 'all', CallStats>;
  for (const [kind, kinds] of kindSets) {
    fleet[kind] = statsOf(series(allInstances, kinds));
    perInstance[kind] = allInstances.map((i) => statsOf(series([i], kinds))).reduce(busiest);
  }
  return { options, ...tally, perInstance, fleet, hourlyPeakMinute: hourlyPeakMinute(series(allInstances, allKinds)) };
}

function hourlyPeakMinute(perSecond: Float64Array): number[] {
  const peaks: number[] = [];
  for (let hour = 0; hour * 3600 < perSecond.length; hour++) {
    let peak = 0;
    for (let minute = hour * 60; minute < (hour + 1) * 60 && minute * 60 < perSecond.length; minute++) {
      let sum = 0;
      for (let s = minute * 60; s < (minute + 1) * 60 && s < perSecond.length; s++) sum += perSecond[s] as number;
      peak = Math.max(peak, sum / 60);
    }
    peaks.push(peak);
  }
  return peaks;
}

function statsOf(perSecond: Float64Array): CallStats {
  let total = 0;
  let peakPerSecond = 0;
  let peakAtMs = 0;
  let window = 0;
  let peakWindow = 0;
  for (let s = 0; s < perSecond.length; s++) {
    const count = perSecond[s] as number;
    total += count;
    if (count > peakPerSecond) {
      peakPerSecond = count;
      peakAtMs = s * 1000;
    }
    window += count - (s >= 60 ? (perSecond[s - 60] as number) : 0);
    peakWindow = Math.max(peakWindow, window);
  }
  return { total, peakPerSecond, peakAtMs, peakMinutePerSecond: peakWindow / 60, meanPerSecond: total / perSecond.length };
}

function busiest(a: CallStats, b: CallStats): CallStats {
  return {
    total: Math.max(a.total, b.total),
    peakPerSecond: Math.max(a.peakPerSecond, b.peakPerSecond),
    peakAtMs: b.peakPerSecond > a.peakPerSecond ? b.peakAtMs : a.peakAtMs,
    peakMinutePerSecond: Math.max(a.peakMinutePerSecond, b.peakMinutePerSecond),
    meanPerSecond: Math.max(a.meanPerSecond, b.meanPerSecond),
  };
}

// ---- command line ------------------------------------------------------------------

const FLAGS = {
  nodes: { type: 'string' },
  instances: { type: 'string' },
  hours: { type: 'string' },
  'pulls-per-hour': { type: 'string' },
  'startup-pulls': { type: 'string' },
  'startup-window': { type: 'string' },
  'restart-at': { type: 'string', multiple: true },
  threshold: { type: 'string' },
  'token-ttl': { type: 'string' },
  'credential-ttl': { type: 'string' },
  'credential-rotate-left': { type: 'string' },
  'assume-role': { type: 'string' },
  'no-node-cache': { type: 'boolean' },
  'hit-latency': { type: 'string' },
  'miss-latency': { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const d = DEFAULT_FLEET;
const goDuration = (ms: number) => (ms < 1000 ? `${ms}ms` : formatGoDuration(ms / 1000));
const FLEET_USAGE = `usage: node --import tsx bench/fleet.ts [flags]   (durations: 90s, 15m, 1h30m, 500ms)
  --nodes N                  nodes (${d.nodes})
  --instances K              ACR instances, one registry host each (${d.instances})
  --hours H                  simulated time (${d.hours})
  --pulls-per-hour R         Poisson pull rate per node (${d.pullsPerHour})
  --startup-pulls P          pulls per node right after t=0 and each restart (${d.startupPulls})
  --startup-window D         ... spread uniformly over this (${goDuration(d.startupWindowMs)})
  --restart-at D             a mass kubelet restart at this time (repeatable, e.g. 12h)
  --threshold D              expiringThreshold (${goDuration(d.expiringThresholdMs)}, the product's default)
  --token-ttl D              ACR token lifetime (${goDuration(d.tokenTtlMs)})
  --credential-ttl D         node role credentials lifetime (${goDuration(d.credentialTtlMs)})
  --credential-rotate-left D metadata service rotates them with this much left (${goDuration(d.credentialRotateLeftMs)})
  --assume-role D            model assumeRoleARN: one STS AssumeRole per token refresh, session D
  --no-node-cache            cache: {enabled: false}: every provider run calls the APIs
  --hit-latency D            provider run answered from the node cache (${goDuration(d.hitLatencyMs)})
  --miss-latency D           provider run that refreshes (${goDuration(d.missLatencyMs)})
  --seed S                   PRNG seed (${d.seed})
`;

export function parseFleetArgs(argv: string[]): FleetOptions | 'help' {
  const { values } = parseArgs({ args: argv, options: FLAGS, allowPositionals: false, strict: true });
  if (values.help) return 'help';
  const count = (name: keyof typeof FLAGS, fallback: number, integer = true): number => {
    const text = values[name];
    if (typeof text !== 'string') return fallback;
    const value = Number(text);
    if (!(Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value)))) throw new Error(`--${name}: not a ${integer ? 'whole ' : ''}number: ${text}`);
    return value;
  };
  const duration = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) throw new Error(`--${name}: not a duration (90s, 15m, 1h): ${text}`);
    return ms;
  };
  return {
    nodes: count('nodes', d.nodes),
    instances: Math.max(1, count('instances', d.instances)),
    hours: count('hours', d.hours, false),
    pullsPerHour: count('pulls-per-hour', d.pullsPerHour, false),
    startupPulls: count('startup-pulls', d.startupPulls),
    startupWindowMs: duration('startup-window', values['startup-window'], d.startupWindowMs),
    restartsAtMs: (values['restart-at'] ?? []).map((text) => duration('restart-at', text, 0)),
    expiringThresholdMs: duration('threshold', values.threshold, d.expiringThresholdMs),
    tokenTtlMs: duration('token-ttl', values['token-ttl'], d.tokenTtlMs),
    credentialTtlMs: duration('credential-ttl', values['credential-ttl'], d.credentialTtlMs),
    credentialRotateLeftMs: duration('credential-rotate-left', values['credential-rotate-left'], d.credentialRotateLeftMs),
    assumeRoleSessionMs: values['assume-role'] === undefined ? undefined : duration('assume-role', values['assume-role'], 0),
    nodeCache: !values['no-node-cache'],
    hitLatencyMs: duration('hit-latency', values['hit-latency'], d.hitLatencyMs),
    missLatencyMs: duration('miss-latency', values['miss-latency'], d.missLatencyMs),
    seed: count('seed', d.seed),
  };
}

/** The flags that differ from the defaults: a scenario's name. */
function scenarioName(o: FleetOptions): string {
  const parts: string[] = [];
  if (o.restartsAtMs.length) parts.push(...o.restartsAtMs.map((ms) => `--restart-at ${goDuration(ms)}`));
  if (o.assumeRoleSessionMs !== undefined) parts.push(`--assume-role ${goDuration(o.assumeRoleSessionMs)}`);
  if (!o.nodeCache) parts.push('--no-node-cache');
  for (const [flag, key] of [
    ['nodes', 'nodes'],
    ['instances', 'instances'],
    ['hours', 'hours'],
    ['pulls-per-hour', 'pullsPerHour'],
    ['startup-pulls', 'startupPulls'],
    ['seed', 'seed'],
  ] as const) {
    if (o[key] !== d[key]) parts.push(`--${flag} ${o[key]}`);
  }
  for (const [flag, key] of [
    ['startup-window', 'startupWindowMs'],
    ['threshold', 'expiringThresholdMs'],
    ['token-ttl', 'tokenTtlMs'],
    ['credential-ttl', 'credentialTtlMs'],
    ['credential-rotate-left', 'credentialRotateLeftMs'],
    ['hit-latency', 'hitLatencyMs'],
    ['miss-latency', 'missLatencyMs'],
  ] as const) {
    if (o[key] !== d[key]) parts.push(`--${flag} ${goDuration(o[key])}`);
  }
  return parts.length ? parts.join(' ') : 'defaults';
}

export function describeFleet(o: FleetOptions): string {
  return (
    `${o.nodes} nodes, ${o.instances} instances, ${o.hours} h; pulls: Poisson ${o.pullsPerHour}/h per node plus ${o.startupPulls} per node within ` +
    `${goDuration(o.startupWindowMs)} of t=0${o.restartsAtMs.length ? ` and of each restart (${o.restartsAtMs.map(goDuration).join(', ')})` : ''}; ` +
    `expiringThreshold ${goDuration(o.expiringThresholdMs)}, ACR token ${goDuration(o.tokenTtlMs)}, node role credentials ${goDuration(o.credentialTtlMs)} ` +
    `rotated with ${goDuration(o.credentialRotateLeftMs)} left; provider run ${goDuration(o.hitLatencyMs)} from the node cache, ` +
    `${goDuration(o.missLatencyMs)} when it refreshes; seed ${o.seed}`
  );
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** One column per scenario. */
/** One column per scenario; API rates as "peak 1 s (when) / peak 1 min / mean", per second. */
export function fleetTable(results: readonly FleetResult[]): string {
  const row = (label: string, cell: (r: FleetResult) => string) => [label, ...results.map(cell)];
  const rate = (c: CallStats) =>
    // A scenario without any call of this kind (STS without --assume-role) shows a dash.
    c.total === 0 ? '–' : `${c.peakPerSecond} (${clock(c.peakAtMs)}) / ${num(c.peakMinutePerSecond)} / ${num(c.meanPerSecond)}`;
  const withSts = results.some((r) => r.options.assumeRoleSessionMs !== undefined);
  const kinds = [...CALL_KINDS.filter((kind) => withSts || kind !== 'STS AssumeRole'), 'all' as const];
  const scopes = [
    ['busiest instance', (r: FleetResult) => r.perInstance],
    ['all instances', (r: FleetResult) => r.fleet],
  ] as const;
  const rows = [
    row('pulls', (r) => String(r.pulls)),
    row('served from the kubelet memory', (r) => pct(r.kubeletHits, r.pulls)),
    row('provider runs', (r) => `${r.providerRuns} (${num(r.providerRuns / r.options.nodes / r.options.hours)} per node-hour)`),
    row('pulls that waited on an API call', (r) => pct(r.waitedOnApi, r.pulls)),
    ...scopes.flatMap(([scope, pick]) => kinds.map((kind) => row(`${kind === 'all' ? 'all API calls' : kind}, ${scope}`, (r) => rate(pick(r)[kind])))),
    row('all API calls, all instances: busiest minute of each hour', (r) => r.hourlyPeakMinute.map((v) => num(v, 2)).join(' ')),
  ];
  return markdownTable(['calls/s: peak 1 s (at) / peak 1 min / mean', ...results.map((r) => `\`${scenarioName(r.options)}\``)], rows);
}

export function fleetMain(argv: string[]): void {
  const options = parseFleetArgs(argv);
  if (options === 'help') {
    process.stdout.write(FLEET_USAGE);
    return;
  }
  const started = performance.now();
  const result = simulateFleet(options);
  process.stdout.write(`${describeFleet(options)}\n\n${fleetTable([result])}\n\n(simulated in ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

if (isEntryPoint(import.meta.url)) {
  try {
    fleetMain(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`fleet: ${(error as Error).message}\n${FLEET_USAGE}`);
    process.exitCode = 2;
  }
}
