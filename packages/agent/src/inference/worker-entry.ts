import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkerOptions } from 'node:worker_threads';

/** What `new Worker(...)` is given to start the inference worker. */
export interface WorkerEntry {
  script: URL | string;
  options: WorkerOptions;
}

// From TypeScript source, a small CommonJS script loads tsx's API and imports the worker
// through it. `--import tsx` in the worker's execArgv is not reliable on Node 20: the worker's
// entry module can be resolved before tsx's loader hooks are registered ("Unknown file
// extension .ts"), whereas tsImport registers first and then imports.
const SOURCE_BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi)
  .then((tsx) => tsx.tsImport(workerData.entry, workerData.entry))
  .catch((err) => process.nextTick(() => { throw err; }));`;

/**
 * The inference worker's entry for the way this module itself runs: built (`dist/*.js`) it is
 * the sibling `.js` file; from TypeScript source (vitest, `tsx --conditions=source`) it is the
 * `.ts` file imported through tsx (a root devDependency), resolved from here rather than from
 * the working directory so it works wherever the agent is started.
 *
 * @example
 * const { script, options } = resolveWorkerEntry(import.meta.url);
 * new Worker(script, options);
 */
export function resolveWorkerEntry(moduleUrl: string): WorkerEntry {
  if (moduleUrl.endsWith('.js')) {
    return { script: new URL('./inference-worker.js', moduleUrl), options: {} };
  }
  return {
    script: SOURCE_BOOTSTRAP,
    options: {
      eval: true,
      execArgv: ['--conditions=source'],
      workerData: {
        entry: new URL('./inference-worker.ts', moduleUrl).href,
        tsxApi: tsxEsmApiUrl(moduleUrl),
      },
    },
  };
}

/** tsx's ESM API, found through its package's own exports map. */
function tsxEsmApiUrl(moduleUrl: string): string {
  const packageJson = createRequire(moduleUrl).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const relative = manifest.exports['./esm/api']!.import.default;
  return pathToFileURL(join(dirname(packageJson), relative)).href;
}
