/**
 * File plumbing for the generated Mosquitto configuration: atomic writes with a fixed mode, and
 * the account Mosquitto runs as. Mosquitto 2.0 started as root switches to its `user` (default
 * `mosquitto`) and that user's primary group *before* it reads password_file and acl_file, at
 * start and at every SIGHUP, so those files must be readable by that account.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A local account as /etc/passwd describes it. */
export interface PosixAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Looks `name` up in /etc/passwd; undefined when absent or unreadable (non-Linux hosts, NSS
 * accounts), in which case the caller falls back to notes for the operator.
 *
 * @example
 * const account = await lookupAccount('mosquitto'); // { name: 'mosquitto', uid: 105, gid: 108 }
 */
export async function lookupAccount(name: string): Promise<PosixAccount | undefined> {
  let text: string;
  try {
    text = await readFile('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 4) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
  }
  return undefined;
}

/** What {@link writeFileAtomic} did about group ownership. */
export type GroupOutcome = 'set' | 'not-requested' | 'not-permitted';

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory gets the content,
 * `mode` (set explicitly, so the umask cannot widen or narrow it), group `gid` when given, and
 * an fsync, then replaces `path` by rename. Readers (Mosquitto reloading) see the old or the new
 * file, never a half-written one. A group change refused by the OS (EPERM: not root and not a
 * member) is reported, not thrown.
 *
 * @example
 * await writeFileAtomic('/etc/edgefleet/mosquitto/acl_file', text, 0o644);
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  mode: number,
  gid?: number,
): Promise<GroupOutcome> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let outcome: GroupOutcome = 'not-requested';
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      if (gid !== undefined) {
        try {
          await handle.chown(-1, gid);
          outcome = 'set';
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
          outcome = 'not-permitted';
        }
      }
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return outcome;
}
