/** Small file helpers for keys and tokens: coded read errors, atomic writes with a mode. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyError } from './key-errors.js';

/** Reads a UTF-8 file; `EF_HUB_KEYS_READ` names the file and what it is. */
export async function readKeyText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new KeyError(
      'EF_HUB_KEYS_READ',
      `cannot read ${what} ${path}: ${detail}`,
      { path },
      {
        cause: err,
      },
    );
  }
}

/** True when `path` exists (any type); other stat failures count as existing, to fail later with a reason. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Writes `text` to `path` through a temporary file (fsynced, then renamed), created with
 * `mode` so a secret is never readable by others, not even briefly.
 */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'wx', mode);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const detail = err instanceof Error ? err.message : String(err);
    throw new KeyError(
      'EF_HUB_KEYS_WRITE',
      `cannot write ${path}: ${detail}`,
      { path },
      {
        cause: err,
      },
    );
  }
}
