import { access, constants, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Creates the folder a file will be written into and checks it is writable, so a bad output
 * path fails before minutes of work rather than after. Throws the file system's error as it is;
 * callers wrap it in their own coded error.
 *
 * @example
 * await ensureWritableFolder('out/pm.efb'); // creates out/ when missing
 */
export async function ensureWritableFolder(filePath: string): Promise<void> {
  const dir = dirname(resolve(filePath));
  await mkdir(dir, { recursive: true });
  await access(dir, constants.W_OK);
}
