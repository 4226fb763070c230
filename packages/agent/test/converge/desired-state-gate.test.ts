import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createKeyring,
  generateKeyPair,
  parseDuration,
  rotateKeyring,
  signDesiredState,
} from '@edgefleet/protocol';
import type { DesiredState, SignedKeyring } from '@edgefleet/protocol';
import { makeTrust } from '../../../../test/helpers/trust-fixture.js';
import type { TrustFixture } from '../../../../test/helpers/trust-fixture.js';
import { silentLogger } from '../../src/converge/converge-logger.js';
import { DesiredStateGate } from '../../src/converge/desired-state-gate.js';
import { judgeProbation } from '../../src/converge/probation.js';
import type { ProbationPolicy } from '../../src/converge/probation.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { AgentDb } from '../../src/state/agent-db.js';

const SHA = 'a'.repeat(64);

function doc(version: number, extra: Partial<DesiredState> = {}): DesiredState {
  return {
    type: 'edgefleet-desired',
    device: 'dev-1',
    version,
    issuedAt: new Date(Date.now() - 60_000).toISOString(),
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    models: [{ name: 'pm', version: '1.0.0', sha256: SHA, bytes: 10 }],
    allowDowngrade: false,
    ...extra,
  };
}

describe('DesiredStateGate', () => {
  let dir: string;
  let db: AgentDb;
  let trust: TrustFixture;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ef-gate-'));
    db = openAgentDb(join(dir, 'agent.db'));
    trust = makeTrust();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function gate(keyring?: SignedKeyring): DesiredStateGate {
    return new DesiredStateGate({
      db,
      deviceId: 'dev-1',
      rootPublicKeys: [trust.rootPublicKeyBase64],
      ...(keyring ? { keyring } : {}),
      logger: silentLogger,
    });
  }

  function payload(d: DesiredState, key = trust.deploy.privateKey, keyring = trust.keyring) {
    return Buffer.from(JSON.stringify(signDesiredState(d, key, keyring)));
  }

  it('trusts the provisioned keyring only when it chains to the root key', () => {
    expect(gate(trust.keyring).trustedKeyring()?.signed.version).toBe(1);
    const other = makeTrust();
    const fresh = openAgentDb(join(dir, 'other.db'));
    try {
      const g = new DesiredStateGate({
        db: fresh,
        deviceId: 'dev-1',
        rootPublicKeys: [trust.rootPublicKeyBase64],
        keyring: other.keyring,
        logger: silentLogger,
      });
      expect(g.trustedKeyring()).toBeUndefined();
    } finally {
      fresh.close();
    }
  });

  it('accepts, persists only on commit, and sees the redelivery as unchanged', () => {
    const g = gate();
    const first = payload(doc(1));
    const verdict = g.evaluate(first, {});
    expect(verdict.kind).toBe('accepted');
    expect(g.lastVersion()).toBeUndefined(); // nothing stored before commit
    if (verdict.kind !== 'accepted') return;
    g.commit(verdict);
    expect(g.lastVersion()).toBe(1);
    expect(g.storedDesired()?.models[0]?.name).toBe('pm');
    expect(gate().evaluate(first, {}).kind).toBe('unchanged');
    // Same version, different content: a replay, not the redelivery.
    const other = gate().evaluate(payload(doc(1, { allowDowngrade: true })), {});
    expect(other.kind === 'refused' && other.error.code).toBe('EF_PROTO_DESIRED_REPLAY');
  });

  it('moves trust forward with a rotated keyring and then refuses the old deploy key', () => {
    const g = gate(trust.keyring);
    const newDeploy = generateKeyPair();
    const v2 = rotateKeyring(trust.keyring, {
      signers: [trust.root.privateKey],
      deploy: [newDeploy.publicKeyPem],
      expires: new Date(Date.now() + parseDuration('30d')),
    });
    const rotated = g.evaluate(payload(doc(5), newDeploy.privateKeyPem, v2), {});
    expect(rotated.kind).toBe('accepted');
    if (rotated.kind === 'accepted') g.commit(rotated);
    expect(g.trustedKeyring()?.signed.version).toBe(2);
    const old = g.evaluate(payload(doc(6)), {});
    expect(old.kind === 'refused' && old.error.code).toBe('EF_PROTO_KEY_UNKNOWN');
  });

  it('refuses a keyring from another root and reads what it can of a bad document', () => {
    const g = gate();
    const foreign = makeTrust();
    const bad = payload(doc(3), foreign.deploy.privateKey, foreign.keyring);
    const verdict = g.evaluate(bad, {});
    expect(verdict.kind).toBe('refused');
    if (verdict.kind !== 'refused') return;
    expect(verdict.error.code).toBe('EF_PROTO_KEYRING_SIGNATURE');
    expect(verdict.version).toBe(3);
    expect(verdict.models).toEqual([{ name: 'pm', version: '1.0.0', sha256: SHA }]);
    expect(verdict.repeated).toBe(false);
    g.noteRefused(verdict.payloadDigest);
    // The retained redelivery of the same refused payload.
    const again = g.evaluate(bad, {});
    expect(again.kind === 'refused' && again.repeated).toBe(true);
  });

  it('refuses documents while the trusted keyring is expired (freeze), until a newer one comes', () => {
    const expired = createKeyring({
      rootPrivateKey: trust.root.privateKey,
      release: [trust.release.publicKey],
      deploy: [trust.deploy.publicKey],
      now: new Date(Date.now() - 7_200_000),
      expires: new Date(Date.now() - 3_600_000),
    });
    const g = gate(expired);
    expect(g.trustedKeyring()?.signed.version).toBe(1);
    const frozen = g.evaluate(payload(doc(1), trust.deploy.privateKey, expired), {});
    expect(frozen.kind === 'refused' && frozen.error.code).toBe('EF_PROTO_KEYRING_EXPIRED');
    const renewed = rotateKeyring(expired, {
      signers: [trust.root.privateKey],
      expires: new Date(Date.now() + parseDuration('30d')),
      keyExpires: new Date(Date.now() + parseDuration('30d')),
      deploy: [trust.deploy.publicKey],
    });
    expect(g.evaluate(payload(doc(1), trust.deploy.privateKey, renewed), {}).kind).toBe('accepted');
  });
});

describe('judgeProbation', () => {
  const policy: ProbationPolicy = {
    ms: 1000,
    maxErrorRate: 0.1,
    maxCrashes: 0,
    maxRestarts: 1,
    minRequests: 10,
    checkIntervalMs: 100,
  };
  const latencyMs = { p50: 1, p95: 2, p99: 3 };

  it('judges error rate only past minRequests, crashes and restarts always', () => {
    expect(judgeProbation({ requests: 5, errors: 5, latencyMs }, policy, 0)).toBeUndefined();
    expect(judgeProbation({ requests: 100, errors: 10, latencyMs }, policy, 0)).toBeUndefined();
    expect(judgeProbation({ requests: 100, errors: 11, latencyMs }, policy, 0)).toMatchObject({
      ok: false,
      error: { code: 'EF_AGENT_PROBATION_ERROR_RATE' },
    });
    expect(
      judgeProbation({ requests: 0, errors: 0, crashes: 1, latencyMs }, policy, 0),
    ).toMatchObject({
      error: { code: 'EF_AGENT_PROBATION_CRASHES' },
    });
    expect(judgeProbation(undefined, policy, 1)).toBeUndefined();
    expect(judgeProbation(undefined, policy, 2)).toMatchObject({
      error: { code: 'EF_AGENT_PROBATION_RESTARTS' },
    });
  });
});
