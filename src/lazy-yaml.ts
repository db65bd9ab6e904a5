// The YAML parser, only needed for a YAML config file: in the single executable an asset
// of its own (see lazy-load.ts), so that runs without one do not compile it.
export { parse } from 'yaml';
