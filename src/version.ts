declare const __VERSION__: string | undefined;

/** Set by the build (esbuild define); tests that import the sources directly see "dev". */
export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';
