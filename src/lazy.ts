// What a cache hit does not need: in the single executable this is a separate asset,
// compiled only when a run needs it (see lazy-load.ts).
export * as cloud from './cloud.js';
export * as doctor from './doctor/doctor.js';
