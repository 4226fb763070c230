/**
 * The current-bundle pointers: `<state>/current/<model>.json` names the bundle that serves the
 * model and the one before it. Written to a temp file, fsynced and renamed over the old one,
 * then the folder fsynced, so after a power cut a pointer is the old one or the new one, whole.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConvergeError, toInstallIoError } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';

/** A bundle a pointer refers to. */
export interface BundleRef {
  sha256: string;
  version: string;
  /** The bundle folder when written; informational, readers derive it from the sha256. */
  dir: string;
}

/** What serves one model, and what served before. */
export interface BundlePointer extends BundleRef {
  name: string;
  previous?: BundleRef;
  /** The execution that wrote it. */
  executionId?: string;
  switchedAt: string;
}

const MODEL_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
const SHA256 = /^[0-9a-f]{64}$/;

function isRef(v: unknown): v is BundleRef {
  const r = v as Partial<BundleRef> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.sha256 === 'string' &&
    SHA256.test(r.sha256) &&
    typeof r.version === 'string' &&
    typeof r.dir === 'string'
  );
}

function parsePointer(name: string, text: string): BundlePointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConvergeError('EF_AGENT_POINTER_INVALID', `pointer of ${name} is not JSON`, { name });
  }
  const p = value as Partial<BundlePointer> | null;
  if (!isRef(value) || p?.name !== name || (p.previous !== undefined && !isRef(p.previous))) {
    throw new ConvergeError('EF_AGENT_POINTER_INVALID', `pointer of ${name} is malformed`, {
      name,
    });
  }
  return p as BundlePointer;
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: not every platform can fsync a folder.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads and writes `<state>/current/*.json`. */
export class PointerStore {
  constructor(
    readonly dir: string,
    private readonly logger: ConvergeLogger,
  ) {}

  private pathOf(name: string): string {
    if (!MODEL_NAME.test(name)) {
      throw new ConvergeError(
        'EF_AGENT_POINTER_INVALID',
        `${JSON.stringify(name)} is not a model name`,
      );
    }
    return join(this.dir, `${name}.json`);
  }

  /**
   * Every readable pointer, by model name; a malformed one is logged and skipped.
   *
   * @example
   * for (const p of await pointers.list()) console.log(p.name, p.version);
   */
  async list(): Promise<BundlePointer[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw toInstallIoError(err, `listing ${this.dir}`);
    }
    const pointers: BundlePointer[] = [];
    for (const file of names.sort()) {
      const match = /^(.+)\.json$/.exec(file);
      if (!match?.[1] || !MODEL_NAME.test(match[1])) continue;
      try {
        const pointer = await this.read(match[1]);
        if (pointer) pointers.push(pointer);
      } catch (err) {
        this.logger.error({ err, file }, 'current-bundle pointer ignored');
      }
    }
    return pointers;
  }

  /** The pointer of `name`, or undefined; throws `EF_AGENT_POINTER_INVALID` when malformed. */
  async read(name: string): Promise<BundlePointer | undefined> {
    const path = this.pathOf(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw toInstallIoError(err, `reading ${path}`);
    }
    return parsePointer(name, text);
  }

  /**
   * Replaces the pointer of `pointer.name` atomically (temp file, fsync, rename, fsync folder).
   *
   * @example
   * await pointers.write({ name: 'pm', sha256, version: '1.1.0', dir, previous, switchedAt: new Date().toISOString() });
   */
  async write(pointer: BundlePointer): Promise<void> {
    const path = this.pathOf(pointer.name);
    const tmp = join(this.dir, `.${pointer.name}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: FileHandle | undefined;
    try {
      await mkdir(this.dir, { recursive: true });
      handle = await open(tmp, 'wx', 0o644);
      await handle.writeFile(`${JSON.stringify(pointer, null, 2)}\n`);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(tmp, path);
      await fsyncDir(this.dir);
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw toInstallIoError(err, `writing ${path}`);
    }
  }

  /** Removes the pointer of `name` (no-op when absent). */
  async remove(name: string): Promise<void> {
    const path = this.pathOf(name);
    try {
      await rm(path, { force: true });
      await fsyncDir(this.dir);
    } catch (err) {
      throw toInstallIoError(err, `removing ${path}`);
    }
  }

  /** Deletes temp files a crash left behind. */
  async cleanTemp(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const file of names) {
      if (file.startsWith('.') && file.endsWith('.tmp'))
        await rm(join(this.dir, file), { force: true }).catch(() => undefined);
    }
  }
}
