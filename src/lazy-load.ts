import * as errors from './errors.js';
import type * as Lazy from './lazy.js';
import * as log from './log.js';
import * as deadline from './resilience/deadline.js';

export type LazyModules = typeof Lazy;

let loaded: Promise<LazyModules> | undefined;

/**
 * The modules of lazy.ts: everything that talks to the cloud (with the SDK), and doctor. In the single
 * executable they are the asset `lazy.cjs` (build.mjs), so that a cache hit does not even
 * compile them; elsewhere (tests, development) a plain import.
 */
export function loadLazy(): Promise<LazyModules> {
  return (loaded ??= load());
}

async function load(): Promise<LazyModules> {
  const sea = process.getBuiltinModule('node:sea');
  if (!sea?.isSea()) return import('./lazy.js');
  const vm = process.getBuiltinModule('node:vm');
  // The asset is one function expression (build.mjs wraps it), with a code cache made for it.
  const script = new vm.Script(sea.getAsset(LAZY_ASSET, 'utf8'), { filename: LAZY_ASSET, cachedData: codeCache(sea) });
  if (script.cachedDataRejected) log.log.debug(`the code cache of ${LAZY_ASSET} was rejected; compiling it`);
  const factory = script.runInThisContext() as (
    exports: object,
    require: (id: string) => unknown,
    module: { exports: object },
  ) => void;
  const module = { exports: {} };
  factory(module.exports, requireForLazy, module);
  return module.exports as LazyModules;
}

export const LAZY_ASSET = 'lazy.cjs';
const LAZY_CODE_CACHE = 'lazy.cache';

function codeCache(sea: typeof import('node:sea')): Buffer | undefined {
  try {
    return Buffer.from(sea.getAsset(LAZY_CODE_CACHE));
  } catch {
    // A binary built without qemu for its architecture has none.
    return undefined;
  }
}

/**
 * The lazy bundle shares the modules that hold state or classes with this one (the log
 * level, the run deadline, ProviderError for instanceof), named `shared:<name>` by
 * build.mjs; anything else it requires is a Node built-in.
 */
const SHARED: Record<string, unknown> = {
  'shared:errors': errors,
  'shared:log': log,
  'shared:deadline': deadline,
};

function requireForLazy(id: string): unknown {
  return SHARED[id] ?? process.getBuiltinModule(id);
}
