import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** Reads a file named on the command line; a missing or unreadable file is EF_CLI_FILE_READ. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(
      'EF_CLI_FILE_READ',
      `cannot read ${what} '${path}': ${reason}`,
      { path },
      { cause: err },
    );
  }
}

export async function readInputText(path: string, what: string): Promise<string> {
  return (await readInputFile(path, what)).toString('utf8');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface WriteOptions {
  /** File mode; private keys use 0o600. */
  readonly mode?: number;
  /** Replace an existing file; without it an existing file is EF_CLI_FILE_EXISTS. */
  readonly force?: boolean;
}

/**
 * Writes through a temporary file, fsync and rename, so a crash or a full disk never leaves
 * a half-written key or keyring where the real one should be.
 */
export async function writeOutputFile(
  path: string,
  data: string | Uint8Array,
  opts: WriteOptions = {},
): Promise<void> {
  const target = resolve(path);
  if (opts.force !== true && (await exists(target))) {
    throw new CliError(
      'EF_CLI_FILE_EXISTS',
      `'${path}' already exists; pass --force to replace it`,
      { path },
    );
  }
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(target), { recursive: true });
    const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof CliError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(
      'EF_CLI_FILE_WRITE',
      `cannot write '${path}': ${reason}`,
      { path },
      { cause: err },
    );
  }
}
