import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isEdgefleetError,
  parseKeyringEnvelope,
  signDesiredState,
  signEnvelope,
  verifyDesiredState,
} from '@edgefleet/protocol';
import type { DesiredState, SignedKeyring } from '@edgefleet/protocol';
import type { Narrator } from './narrate.js';
import { edgefleet as run } from './run-edgefleet.js';

async function edgefleet(n: Narrator, args: string[]): Promise<void> {
  const r = await run(n, args);
  if (r.code !== 0)
    throw new Error(`edgefleet ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
}

/** Runs `fn` and returns the EF_ code it was refused with, or 'accepted'. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return isEdgefleetError(err) ? err.code : `uncoded ${String(err)}`;
  }
}

/** The operator's first step: root, release and deploy keys and a root-signed keyring. */
export async function createKeys(n: Narrator, dir: string): Promise<void> {
  const keys = join(dir, 'keys');
  n.section('Operator creates the root, release and deploy keys and a root-signed keyring');
  for (const role of ['root', 'release', 'deploy']) {
    await edgefleet(n, ['keys', 'generate', '--role', role, '--out', keys, '--force']);
  }
  await edgefleet(n, [
    'keys',
    'keyring',
    '--root',
    join(keys, 'root.key'),
    '--release',
    join(keys, 'release.pub'),
    '--deploy',
    join(keys, 'deploy.pub'),
    '--expires',
    '365d',
    '--out',
    join(keys, 'keyring.json'),
    '--force',
  ]);
  n.info('the root key stays offline; devices are provisioned with root.pub only');
}

/**
 * The trust model end to end on a real bundle digest: a signed desired state verified as a device
 * verifies it, the attacks it must refuse, and a root rotation a device catches up with.
 */
export async function trustWalkthrough(
  n: Narrator,
  dir: string,
  bundleSha256: string,
): Promise<void> {
  const keys = join(dir, 'keys');
  const keyring1 = parseKeyringEnvelope(await readFile(join(keys, 'keyring.json')));
  const rootPub = await readFile(join(keys, 'root.pub'), 'utf8');
  const deployKey = await readFile(join(keys, 'deploy.key'), 'utf8');
  const releaseKey = await readFile(join(keys, 'release.key'), 'utf8');

  n.section('Hub signs a desired state for device plant-a-0001; the device verifies it');
  const now = new Date();
  const desired = (version: number, device = 'plant-a-0001', ttlMs = 3_600_000): DesiredState => ({
    type: 'edgefleet-desired',
    device,
    version,
    issuedAt: now.toISOString(),
    expires: new Date(now.getTime() + ttlMs).toISOString(),
    models: [
      {
        name: 'pm',
        version: '1.0.0',
        sha256: bundleSha256,
        bytes: 4096,
        rolloutId: 'demo',
        wave: 0,
      },
    ],
    allowDowngrade: false,
  });
  const wire = (doc: DesiredState, key = deployKey, ring: SignedKeyring = keyring1) =>
    JSON.stringify(signDesiredState(doc, key, ring));
  const device = { deviceId: 'plant-a-0001', rootPublicKey: rootPub, now };
  n.expect(
    outcome(() => verifyDesiredState(wire(desired(5)), device)) === 'accepted',
    'desired state v5 verifies from the root key',
  );

  n.section('The device refuses what an attacker or a broken hub could send');
  const tampered = JSON.parse(wire(desired(6))) as { signed: DesiredState };
  tampered.signed.models[0]!.version = '9.9.9';
  const cases: [string, () => unknown, string][] = [
    [
      'a tampered model version',
      () => verifyDesiredState(JSON.stringify(tampered), device),
      'EF_PROTO_SIGNATURE_INVALID',
    ],
    [
      'a replay of v5 after v5',
      () => verifyDesiredState(wire(desired(5)), { ...device, lastVersion: 5 }),
      'EF_PROTO_DESIRED_REPLAY',
    ],
    [
      'a document for another device',
      () => verifyDesiredState(wire(desired(6, 'plant-b-0002')), device),
      'EF_PROTO_DESIRED_DEVICE',
    ],
    [
      'an expired document (freeze attack)',
      () =>
        verifyDesiredState(wire(desired(6)), {
          ...device,
          now: new Date(now.getTime() + 7_200_000),
        }),
      'EF_PROTO_DESIRED_EXPIRED',
    ],
    [
      'desired state signed with the release key',
      () => verifyDesiredState(wire(desired(6), releaseKey), device),
      'EF_PROTO_KEY_ROLE',
    ],
  ];
  for (const [what, fn, code] of cases) {
    const got = outcome(fn);
    n.expect(got === code, `${what}: ${got}`);
  }

  n.section('Operator rotates the root key; an offline device catches up through the chain');
  await edgefleet(n, [
    'keys',
    'generate',
    '--role',
    'root',
    '--out',
    join(dir, 'keys-2'),
    '--force',
  ]);
  await edgefleet(n, [
    'keys',
    'rotate',
    '--keyring',
    join(keys, 'keyring.json'),
    '--root',
    join(keys, 'root.key'),
    '--new-root',
    join(dir, 'keys-2', 'root.key'),
    '--out',
    join(keys, 'keyring-2.json'),
    '--force',
  ]);
  const keyring2 = parseKeyringEnvelope(await readFile(join(keys, 'keyring-2.json')));
  const rotated = JSON.stringify(
    signDesiredState(desired(7), deployKey, keyring2, { keyringChain: [keyring1] }),
  );
  const result = verifyDesiredState(rotated, { ...device, lastVersion: 5 });
  n.expect(
    result.keyring.signed.version === 2,
    'device accepts v7 and now trusts keyring v2 (new root)',
  );
  const forged = signEnvelope(keyring2.signed, [deployKey]);
  n.expect(
    outcome(() =>
      verifyDesiredState(JSON.stringify(signDesiredState(desired(8), deployKey, forged)), device),
    ) !== 'accepted',
    'a keyring re-signed by the deploy key is refused: a stolen hub key cannot take over trust',
  );
}
