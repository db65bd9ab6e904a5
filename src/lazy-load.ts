import * as errors from './errors.js';
import type * as Lazy from './lazy.js';
import type * as LazyYaml from './lazy-yaml.js';
import * as log from './log.js';
import * as deadline from './resilience/deadline.js';

export type LazyModules = typeof Lazy;

/**
 * What a cache hit does not need is kept out of the single executable's main script, as
 * assets compiled only by the runs that need them (build.mjs makes them, each with its own
 * V8 code cache): `lazy` (everything that talks to the cloud, and doctor) and
 * `yaml` (the parser for a YAML config). Elsewhere (tests, development) a plain import.
 */
const loaded = new Map<string, Promise<unknown>>();

export function loadLazy(): Promise<LazyModules> {
  return loadAsset('lazy', () => import('./lazy.js'));
}

export function loadYaml(): Promise<typeof LazyYaml> {
  return loadAsset('yaml', () => import('./lazy-yaml.js'));
}

function loadAsset<T>(name: string, plainImport: () => Promise<T>): Promise<T> {
  let module = loaded.get(name) as Promise<T> | undefined;
  if (!module) loaded.set(name, (module = load(name, plainImport)));
  return module;
}

async function load<T>(name: string, plainImport: () => Promise<T>): Promise<T> {
  const sea = process.getBuiltinModule('node:sea');
  if (!sea?.isSea()) return plainImport();
  const vm = process.getBuiltinModule('node:vm');
  // The asset is one function expression (build.mjs wraps it), with a code cache made for it.
  const script = new vm.Script(sea.getAsset(`${name}.cjs`, 'utf8'), { filename: `${name}.cjs`, cachedData: codeCache(sea, name) });
  if (script.cachedDataRejected) log.log.debug(`the code cache of ${name}.cjs was rejected; compiling it`);
  const factory = script.runInThisContext() as (exports: object, require: (id: string) => unknown, module: { exports: object }) => void;
  const module = { exports: {} };
  factory(module.exports, requireForAsset, module);
  return module.exports as T;
}

function codeCache(sea: typeof import('node:sea'), name: string): Buffer | undefined {
  try {
    return Buffer.from(sea.getAsset(`${name}.cache`));
  } catch {
    // A binary built without qemu for its architecture has none.
    return undefined;
  }
}

/**
 * The assets share the modules that hold state or classes with the main script (the log
 * level, the run deadline, ProviderError for instanceof, this loader), named
 * `shared:<name>` by build.mjs; anything else they require is a Node built-in.
 */
const SHARED: Record<string, unknown> = {
  'shared:errors': errors,
  'shared:log': log,
  'shared:deadline': deadline,
  'shared:lazy-load': { loadLazy, loadYaml },
};

function requireForAsset(id: string): unknown {
  return SHARED[id] ?? process.getBuiltinModule(id);
}
