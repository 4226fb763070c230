/**
 * Disk cleanup after a switch, rollback, failure or removal: each model keeps its current and
 * previous bundle (DESIGN section 8), active executions keep what they are installing, and
 * everything else under `bundles/` and `downloads/` goes.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deletePartialRow } from '../download/download-tables.js';
import type { AgentDb } from '../state/agent-db.js';
import type { BundleStore } from './bundle-store.js';
import type { PointerStore } from './bundle-pointers.js';
import type { ExecutionJournal } from './execution-journal.js';

/** What {@link collectGarbage} looks at. */
export interface BundleGcDeps {
  db: AgentDb;
  pointers: PointerStore;
  journal: ExecutionJournal;
  bundles: BundleStore;
  downloadsDir: string;
}

/**
 * Deletes bundle folders no pointer or active execution needs, and downloads (partial or
 * finished) of bundles no active execution is installing.
 *
 * @example
 * await collectGarbage({ db, pointers, journal, bundles, downloadsDir });
 */
export async function collectGarbage(deps: BundleGcDeps): Promise<void> {
  const keep = new Set<string>();
  for (const p of await deps.pointers.list()) {
    keep.add(p.sha256);
    if (p.previous) keep.add(p.previous.sha256);
  }
  const installing = new Set<string>();
  for (const e of deps.journal.active()) {
    installing.add(e.sha256);
    keep.add(e.sha256);
    if (e.previousSha256) keep.add(e.previousSha256);
  }
  await deps.bundles.retainOnly(keep);
  let files: string[];
  try {
    files = await readdir(deps.downloadsDir);
  } catch {
    return;
  }
  for (const file of files) {
    const match = /^([0-9a-f]{64})\.(part|efb)$/.exec(file);
    if (!match?.[1] || installing.has(match[1])) continue;
    if (match[2] === 'part') deletePartialRow(deps.db, match[1]);
    await rm(join(deps.downloadsDir, file), { force: true }).catch(() => undefined);
  }
}
