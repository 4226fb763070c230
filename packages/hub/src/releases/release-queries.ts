/** Release lookups behind `listReleases` and `getRelease` of the hub API. */
import type { ReleaseView } from '../api/hub-api.js';
import type { HubStore, ReleaseRecord } from '../storage/hub-store.js';
import { releaseView } from './publish-release.js';

/**
 * All releases (by name, then SemVer), or those of one name.
 *
 * @example
 * await listReleaseViews(store, 'pm'); // [pm@1.0.0, pm@1.1.0]
 */
export async function listReleaseViews(store: HubStore, name?: string): Promise<ReleaseView[]> {
  const names = name === undefined ? await store.listReleaseNames() : [name];
  const out: ReleaseView[] = [];
  for (const n of names) for (const r of await store.listReleases(n)) out.push(releaseView(r));
  return out;
}

/**
 * `name@version`, or the highest SemVer of `name` when `version` is omitted; undefined when none.
 *
 * @example
 * (await findRelease(store, 'pm'))?.version; // '1.1.0'
 */
export async function findRelease(
  store: HubStore,
  name: string,
  version?: string,
): Promise<ReleaseRecord | undefined> {
  if (version !== undefined) return store.getRelease(name, version);
  const all = await store.listReleases(name);
  return all[all.length - 1];
}
