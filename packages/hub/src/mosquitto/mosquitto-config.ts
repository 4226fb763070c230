/**
 * External Mosquitto mode (issue 5, DESIGN sections 5 and 6): writes mosquitto.conf,
 * password_file and acl_file so an operator's Mosquitto 2.0 enforces the same device isolation
 * as the embedded broker. Device secret hashes go in verbatim: the hub stores Mosquitto's own
 * `$7$` PBKDF2 format (`device-secrets.ts`). See docs/mosquitto.md.
 */
import { chown, mkdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeviceId } from '@edgefleet/protocol';
import { isDeviceSecretHash } from '../broker/device-secrets.js';
import { lookupAccount, writeFileAtomic } from './mosquitto-files.js';
import type { GroupOutcome, PosixAccount } from './mosquitto-files.js';
import { MosquittoError } from './mosquitto-errors.js';
import {
  MOSQUITTO_FILES,
  renderAclFile,
  renderMosquittoConf,
  renderPasswordFile,
} from './mosquitto-render.js';
import type { PasswordEntry } from './mosquitto-render.js';

/** A device as the broker needs it. */
export interface MosquittoDevice {
  readonly id: string;
  /** `$7$` hash from `hashDeviceSecret`. */
  readonly secretHash: string;
  /** Revoked devices are left out of password_file, so Mosquitto refuses them. */
  readonly revoked: boolean;
}

/** The hub's own privileged MQTT account; its name must not be a valid device id. */
export interface MosquittoHubUser {
  readonly username: string;
  readonly secretHash: string;
}

export interface MosquittoConfigOptions {
  /** Directory for the three files; created (0755) when missing. */
  readonly outDir: string;
  readonly devices: readonly MosquittoDevice[];
  readonly hub: MosquittoHubUser;
  /** Listener port; default 1883. */
  readonly port?: number;
  /** Listener address; default every interface. */
  readonly host?: string;
  /** Persistence directory (writable by Mosquitto); default no persistence. */
  readonly persistenceDir?: string;
  /**
   * Account Mosquitto switches to when started as root (`user` line). Default: no line, so
   * Mosquitto's own default, `mosquitto`. The files are group-owned by this account's group.
   */
  readonly user?: string;
}

export interface MosquittoConfigResult {
  /** Absolute paths written: mosquitto.conf, password_file, acl_file. */
  readonly files: string[];
  /** What the operator must know (reload, permissions, revocation). */
  readonly notes: string[];
}

export const DEFAULT_MOSQUITTO_PORT = 1883;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
const ACCOUNT = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/;
const HUB_USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

function configError(message: string, details?: Record<string, unknown>): MosquittoError {
  return new MosquittoError('EF_HUB_MOSQUITTO_CONFIG', message, details);
}

function checkPath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw configError(`${name} must be a non-empty path`);
  }
  // Mosquitto reads one option per line and trims blanks around the value.
  if (CONTROL.test(value) || value.trim() !== value) {
    throw configError(`${name} must not contain control characters or surrounding blanks`);
  }
  return resolve(value);
}

function passwordEntries(o: MosquittoConfigOptions): { entries: PasswordEntry[]; revoked: number } {
  if (!Array.isArray(o.devices)) throw configError('devices must be an array');
  const hub = o.hub as MosquittoHubUser | undefined;
  if (typeof hub?.username !== 'string' || !HUB_USERNAME.test(hub.username)) {
    throw configError('hub.username must be 1..64 of A-Z a-z 0-9 _ . -');
  }
  if (isDeviceId(hub.username)) {
    // [P-TP-2] otherwise a device enrolled under that id would share the hub's account.
    throw configError(`hub.username "${hub.username}" could be a device id; use e.g. "_hub"`);
  }
  if (!isDeviceSecretHash(hub.secretHash)) {
    throw configError('hub.secretHash is not a $7$ hash from hashDeviceSecret');
  }
  const seen = new Set<string>();
  const entries: PasswordEntry[] = [];
  let revoked = 0;
  for (const [i, d] of o.devices.entries()) {
    const id = (d as MosquittoDevice | undefined)?.id;
    if (!isDeviceId(id)) throw configError(`devices[${i}].id is not a device id`, { index: i });
    if (seen.has(id)) throw configError(`device ${id} is listed twice`, { deviceId: id });
    seen.add(id);
    if (!isDeviceSecretHash(d.secretHash)) {
      throw configError(`device ${id} has no $7$ secret hash`, { deviceId: id });
    }
    if (d.revoked === true) revoked += 1;
    else entries.push({ username: id, secretHash: d.secretHash });
  }
  entries.push({ username: hub.username, secretHash: hub.secretHash });
  return { entries, revoked };
}

function checkListener(o: MosquittoConfigOptions): { port: number; host?: string } {
  const port = o.port ?? DEFAULT_MOSQUITTO_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw configError(`port ${String(port)} is not 1..65535`);
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || !HOST.test(o.host))) {
    throw configError('host must be an IP address or host name');
  }
  if (o.user !== undefined && (typeof o.user !== 'string' || !ACCOUNT.test(o.user))) {
    throw configError('user must be a local account name');
  }
  return o.host === undefined ? { port } : { port, host: o.host };
}

function permissionNotes(
  outDir: string,
  dir: Stats,
  name: string,
  account: PosixAccount | undefined,
  group: GroupOutcome,
): string[] {
  const notes: string[] = [];
  if (!account) {
    notes.push(
      `No local account "${name}" was found, so password_file (0640) keeps this process's group: make it readable by the account Mosquitto runs as (chgrp), or Mosquitto refuses to start.`,
    );
  } else if (group === 'not-permitted') {
    notes.push(
      `password_file (0640) could not be given group ${account.gid} ("${name}"): run this as root or as a member of that group, or chgrp it yourself, or Mosquitto cannot read it.`,
    );
  }
  const searchable =
    (dir.mode & 0o001) !== 0 ||
    (account !== undefined && dir.gid === account.gid && (dir.mode & 0o010) !== 0) ||
    (account !== undefined && dir.uid === account.uid && (dir.mode & 0o100) !== 0);
  if (!searchable) {
    notes.push(
      `${outDir} is not searchable by "${name}" (mode ${(dir.mode & 0o777).toString(8)}); Mosquitto started as root switches to that account before reading the files, so it needs search (x) permission on this directory and every parent.`,
    );
  }
  return notes;
}

/** Gives the persistence directory to the Mosquitto account when we may (root). */
async function preparePersistence(
  dir: string,
  account: PosixAccount | undefined,
): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  if (!account) return false;
  try {
    await chown(dir, account.uid, account.gid);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return false;
    throw err;
  }
}

/**
 * Writes `mosquitto.conf` (0644), `password_file` (0640, group of the Mosquitto account;
 * non-revoked devices plus the hub user) and `acl_file` (0644) into `outDir`, each atomically.
 * Throws `EF_HUB_MOSQUITTO_CONFIG` for bad options and `EF_HUB_MOSQUITTO_WRITE` when a file
 * cannot be written. Reload a running Mosquitto afterwards with `reloadMosquitto`.
 *
 * @example
 * const { files, notes } = await writeMosquittoConfig({
 *   outDir: '/etc/mosquitto/edgefleet',
 *   devices: await mosquittoDevicesFromStore(store),
 *   hub: { username: '_hub', secretHash: hubSecretHash },
 * });
 */
export async function writeMosquittoConfig(
  options: MosquittoConfigOptions,
): Promise<MosquittoConfigResult> {
  if (typeof options !== 'object' || options === null) throw configError('options are required');
  const outDir = checkPath(options.outDir, 'outDir');
  const persistenceDir =
    options.persistenceDir === undefined
      ? undefined
      : checkPath(options.persistenceDir, 'persistenceDir');
  const listener = checkListener(options);
  const { entries, revoked } = passwordEntries(options);

  const accountName = options.user ?? 'mosquitto';
  const files = {
    conf: join(outDir, MOSQUITTO_FILES.conf),
    passwords: join(outDir, MOSQUITTO_FILES.passwords),
    acl: join(outDir, MOSQUITTO_FILES.acl),
  };
  const conf = renderMosquittoConf({
    ...listener,
    passwordFile: files.passwords,
    aclFile: files.acl,
    ...(persistenceDir === undefined ? {} : { persistenceDir }),
    ...(options.user === undefined ? {} : { user: options.user }),
  });

  let notes: string[];
  let persistenceOwned = false;
  try {
    await mkdir(outDir, { recursive: true, mode: 0o755 });
    const account = await lookupAccount(accountName);
    if (persistenceDir !== undefined) {
      persistenceOwned = await preparePersistence(persistenceDir, account);
    }
    // On reload the ACL and credentials must exist before the config that names them.
    await writeFileAtomic(files.acl, renderAclFile(options.hub.username), 0o644);
    const group = await writeFileAtomic(
      files.passwords,
      renderPasswordFile(entries),
      0o640,
      account?.gid,
    );
    await writeFileAtomic(files.conf, conf, 0o644);
    notes = permissionNotes(outDir, await stat(outDir), accountName, account, group);
  } catch (err) {
    throw new MosquittoError(
      'EF_HUB_MOSQUITTO_WRITE',
      `cannot write the Mosquitto configuration in ${outDir}: ${(err as Error).message}`,
      { outDir, errno: (err as NodeJS.ErrnoException).code },
      { cause: err },
    );
  }

  notes.unshift(
    `Start: mosquitto -c ${files.conf}. After regenerating these files (enrolment, revocation), reload with kill -HUP <pid>: Mosquitto re-reads password_file and acl_file without dropping other clients.`,
    `${entries.length - 1} device(s) and the hub user "${options.hub.username}" are in password_file; ${revoked} revoked device(s) are left out, so Mosquitto refuses them at CONNECT.`,
    'Revocation reaches a connected device only at the reload: on SIGHUP Mosquitto 2.0.11 re-checks every connected client against the new password_file and disconnects those no longer in it (measured; docs/mosquitto.md). Until the reload a revoked device stays connected.',
  );
  if (persistenceDir !== undefined && !persistenceOwned) {
    notes.push(`${persistenceDir} must be writable by "${accountName}" (could not chown it).`);
  }
  return { files: [files.conf, files.passwords, files.acl], notes };
}
