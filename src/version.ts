// Bundled in at build time, so the single executable, which has no package.json beside it, knows it too.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
