/**
 * Whether the built JavaScript (`npm run build`) matches the sources, so the agent benchmarks
 * can measure memory and start-up the way a device runs the agent (built), and say so when they
 * fall back to the TypeScript sources through tsx (which adds its own time and memory).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = new URL('../../packages/', import.meta.url);

/** How a benchmark child process runs the agent. */
export type ChildMode = 'built' | 'source';

/**
 * True when every `.ts` file under `packages/<name>/src` of the given packages has a `.js`
 * counterpart in `dist` at least as new.
 *
 * @example
 * builtIsFresh(['protocol', 'runtime', 'agent']); // false after editing a source file
 */
export function builtIsFresh(packages: readonly string[]): boolean {
  return packages.every((name) => {
    const src = fileURLToPath(new URL(`${name}/src/`, PACKAGES));
    const dist = fileURLToPath(new URL(`${name}/dist/`, PACKAGES));
    return treeIsBuilt(src, dist);
  });
}

function treeIsBuilt(src: string, dist: string): boolean {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    if (entry.isDirectory()) {
      if (!treeIsBuilt(from, join(dist, entry.name))) return false;
      continue;
    }
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const js = join(dist, entry.name.replace(/\.ts$/, '.js'));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(from).mtimeMs) return false;
  }
  return true;
}

/** True when every given package has a built entry point (`dist/index.js`). */
export function builtIsPresent(packages: readonly string[]): boolean {
  return packages.every((name) =>
    existsSync(fileURLToPath(new URL(`${name}/dist/index.js`, PACKAGES))),
  );
}

/**
 * The mode a child should run in: 'auto' picks built when the packages' dist is present (a
 * device runs built code), else the sources through tsx.
 *
 * @example
 * const mode = resolveChildMode('auto', ['protocol', 'runtime', 'agent']);
 */
export function resolveChildMode(
  requested: ChildMode | 'auto',
  packages: readonly string[],
): ChildMode {
  if (requested !== 'auto') return requested;
  return builtIsPresent(packages) ? 'built' : 'source';
}

/** How a figure's process ran, for the report; names stale builds. */
export function describeChildMode(mode: ChildMode, packages: readonly string[]): string {
  if (mode === 'source') {
    return 'TypeScript sources through tsx (no build; tsx adds start-up time and memory)';
  }
  const stale = packages.filter((name) => !builtIsFresh([name]));
  return stale.length === 0
    ? 'built JS (`npm run build`, packages/*/dist, up to date with the sources)'
    : `built JS (\`npm run build\`; dist of ${stale.join(', ')} older than some sources)`;
}
