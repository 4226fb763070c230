import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureWritableFolder } from '../ensure-writable-folder.js';
import { ReportError } from './report-errors.js';

/**
 * Checks before any work that the report can be written there (its folder is created), so a bad
 * `--report` path fails the compile up front instead of after the bundle is signed.
 */
export async function checkReportPath(path: string): Promise<void> {
  try {
    await ensureWritableFolder(path);
  } catch (err) {
    throw reportWriteError(path, err);
  }
}

/**
 * Writes the report atomically: a temporary file beside the target, fsync, rename. A reader
 * (a browser, a CI artifact upload) never sees half a report, and a failure leaves no stray file.
 * Returns the absolute path written.
 *
 * @throws ReportError EF_COMPILE_REPORT_WRITE
 * @example
 * const path = await writeReportFile('dist/pm-report.html', renderCompileReport(result));
 */
export async function writeReportFile(path: string, html: string): Promise<string> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(target), { recursive: true });
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(html, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    return target;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw reportWriteError(path, err);
  }
}

function reportWriteError(path: string, err: unknown): ReportError {
  const reason = (err as NodeJS.ErrnoException).code ?? String(err);
  return new ReportError(
    'EF_COMPILE_REPORT_WRITE',
    `cannot write the report '${path}': ${reason}`,
    { path },
    { cause: err },
  );
}
