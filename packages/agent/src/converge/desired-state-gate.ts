/**
 * The gate every desired-state message passes (DESIGN section 5, [P-DS-1..8]): verified with
 * the device's trusted keyring and last accepted version, persisted only once the whole
 * document is accepted. SQLite holds the last accepted version and document and the trusted
 * keyring, starting from the provisioned root key(s) and keyring of `device.json`.
 */
import { createHash } from 'node:crypto';
import {
  DesiredStateSchema,
  EdgefleetError,
  ModelNameSchema,
  ProtocolError,
  SemverStringSchema,
  Sha256HexSchema,
  SignedKeyringSchema,
  canonicalBytes,
  validate,
  verifyDesiredState,
  verifyKeyring,
} from '@edgefleet/protocol';
import type { DesiredState, SignedKeyring } from '@edgefleet/protocol';
import type { AgentDb } from '../state/agent-db.js';
import { ConvergeError } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';

/** A model as a refused document names it (what its failed status carries). */
export interface RefusedModel {
  name: string;
  version: string;
  sha256: string;
}

/** What the gate decided about one message. */
export type DesiredVerdict =
  | { kind: 'accepted'; desired: DesiredState; keyring: SignedKeyring; digest: string }
  /** [P-DS-3] The retained redelivery of the accepted document: nothing to do. */
  | { kind: 'unchanged'; version: number }
  | {
      kind: 'refused';
      error: EdgefleetError;
      /** sha256 of the payload, to report a refusal once, not on every redelivery. */
      payloadDigest: string;
      repeated: boolean;
      /** What could be read from the document, even unverified, for the status. */
      version: number | undefined;
      models: RefusedModel[];
    };

/** Options of {@link DesiredStateGate}. */
export interface DesiredStateGateOptions {
  db: AgentDb;
  deviceId: string;
  /** The provisioned root public key(s) (base64 raw or PEM), from `device.json`. */
  rootPublicKeys: readonly string[];
  /** The provisioned keyring, if `device.json` carries one. */
  keyring?: SignedKeyring;
  logger: ConvergeLogger;
}

interface TrustRow {
  keyring_json: string | null;
  desired_version: number | null;
  desired_json: string | null;
  desired_digest: string | null;
  refused_digest: string | null;
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseLoosely(payload: Buffer | string): unknown {
  try {
    return JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The digest that identifies a document's content: sha256 of its canonical `signed` part. */
function signedDigest(payload: Buffer | string): string | undefined {
  const raw = parseLoosely(payload) as { signed?: unknown } | undefined;
  if (raw?.signed === undefined) return undefined;
  try {
    return sha256Hex(canonicalBytes(raw.signed));
  } catch {
    return undefined;
  }
}

/** Version and models of a document that did not verify, read field by field. */
function readLeniently(payload: Buffer | string): {
  version: number | undefined;
  models: RefusedModel[];
} {
  const signed = (
    parseLoosely(payload) as { signed?: { version?: unknown; models?: unknown } } | undefined
  )?.signed;
  const version =
    typeof signed?.version === 'number' &&
    Number.isSafeInteger(signed.version) &&
    signed.version > 0
      ? signed.version
      : undefined;
  const models: RefusedModel[] = [];
  if (Array.isArray(signed?.models)) {
    for (const m of signed.models.slice(0, 64) as {
      name?: unknown;
      version?: unknown;
      sha256?: unknown;
    }[]) {
      const name = ModelNameSchema.safeParse(m?.name);
      const ver = SemverStringSchema.safeParse(m?.version);
      const sha = Sha256HexSchema.safeParse(m?.sha256);
      if (name.success && ver.success && sha.success) {
        models.push({ name: name.data, version: ver.data, sha256: sha.data });
      }
    }
  }
  return { version, models };
}

/**
 * Creates the gate's table (idempotent).
 *
 * @example
 * ensureDesiredTables(db);
 */
export function ensureDesiredTables(db: AgentDb): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS converge_trust (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      keyring_json TEXT,
      keyring_version INTEGER,
      desired_version INTEGER,
      desired_json TEXT,
      desired_digest TEXT,
      refused_digest TEXT,
      updated_at TEXT NOT NULL
    ) STRICT;
    INSERT OR IGNORE INTO converge_trust (id, updated_at) VALUES (1, '1970-01-01T00:00:00.000Z');
  `);
}

/** Verifies desired-state messages and keeps the device's trust state. */
export class DesiredStateGate {
  private readonly db: AgentDb;
  private readonly logger: ConvergeLogger;

  constructor(private readonly options: DesiredStateGateOptions) {
    this.db = options.db;
    this.logger = options.logger;
    ensureDesiredTables(this.db);
    if (options.keyring) this.adoptProvisionedKeyring(options.keyring);
  }

  private row(): TrustRow {
    return this.db
      .prepare(
        'SELECT keyring_json, desired_version, desired_json, desired_digest, refused_digest FROM converge_trust WHERE id = 1',
      )
      .get() as TrustRow;
  }

  /** The provisioned keyring becomes trusted when it is newer than the stored one and chains to the root. */
  private adoptProvisionedKeyring(keyring: SignedKeyring): void {
    const trusted = this.trustedKeyring();
    const version = (keyring as { signed?: { version?: unknown } } | null)?.signed?.version;
    if (trusted && typeof version === 'number' && version <= trusted.signed.version) return;
    try {
      // An expired provisioned keyring is still the best anchor: [P-KR-8] lets it accept a newer one.
      const verified = verifyKeyring(keyring, {
        ...(trusted ? { trusted } : { trustedRootKeys: [...this.options.rootPublicKeys] }),
        checkExpiry: false,
      });
      this.storeKeyring(verified);
    } catch (err) {
      this.logger.warn(
        {
          err: new ConvergeError(
            'EF_AGENT_TRUST_INVALID',
            'provisioned keyring ignored',
            {},
            { cause: err },
          ),
        },
        'provisioned keyring does not verify against the root key(s); ignored',
      );
    }
  }

  private storeKeyring(keyring: SignedKeyring): void {
    this.db
      .prepare(
        'UPDATE converge_trust SET keyring_json = ?, keyring_version = ?, updated_at = ? WHERE id = 1',
      )
      .run(JSON.stringify(keyring), keyring.signed.version, new Date().toISOString());
  }

  /** The keyring trusted now (provisioned or advanced by accepted documents), if any. */
  trustedKeyring(): SignedKeyring | undefined {
    const json = this.row().keyring_json;
    if (json === null) return undefined;
    try {
      return validate(JSON.parse(json), SignedKeyringSchema, 'stored keyring') as SignedKeyring;
    } catch (err) {
      this.logger.error({ err }, 'stored keyring unreadable; falling back to the root key(s)');
      return undefined;
    }
  }

  /** The last accepted desired-state version. */
  lastVersion(): number | undefined {
    return this.row().desired_version ?? undefined;
  }

  /** The last accepted document, for converging after a restart without the broker. */
  storedDesired(): DesiredState | undefined {
    const json = this.row().desired_json;
    if (json === null) return undefined;
    try {
      return validate(JSON.parse(json), DesiredStateSchema, 'stored desired state');
    } catch (err) {
      this.logger.error(
        { err },
        'stored desired state unreadable; waiting for the hub to send it again',
      );
      return undefined;
    }
  }

  /**
   * Verifies one message from `desired` against the trust state; `installed` maps model names
   * to their serving versions (downgrade rule). Never throws: a refusal is a verdict.
   *
   * @example
   * const verdict = gate.evaluate(payload, { 'pump-anomaly': '1.2.0' });
   */
  evaluate(payload: Buffer | string, installed: Readonly<Record<string, string>>): DesiredVerdict {
    const row = this.row();
    const lastVersion = row.desired_version ?? undefined;
    const trustedKeyring = this.trustedKeyring();
    try {
      const { desired, keyring } = verifyDesiredState(payload, {
        deviceId: this.options.deviceId,
        ...(trustedKeyring ? { trustedKeyring } : {}),
        rootPublicKey: [...this.options.rootPublicKeys],
        ...(lastVersion !== undefined ? { lastVersion } : {}),
        installed,
      });
      return { kind: 'accepted', desired, keyring, digest: signedDigest(payload) ?? '' };
    } catch (err) {
      // [P-DS-3] The replay rule runs after the signatures: an equal version carrying the very
      // document already accepted is the retained redelivery, not an attack.
      if (
        err instanceof ProtocolError &&
        err.code === 'EF_PROTO_DESIRED_REPLAY' &&
        err.details?.['version'] === lastVersion &&
        row.desired_digest !== null &&
        signedDigest(payload) === row.desired_digest
      ) {
        return { kind: 'unchanged', version: lastVersion as number };
      }
      const error =
        err instanceof EdgefleetError
          ? err
          : new ConvergeError(
              'EF_AGENT_DESIRED_INVALID',
              `desired state could not be checked: ${String(err)}`,
              {},
              { cause: err },
            );
      const payloadDigest = sha256Hex(payload);
      return {
        kind: 'refused',
        error,
        payloadDigest,
        repeated: payloadDigest === row.refused_digest,
        ...readLeniently(payload),
      };
    }
  }

  /**
   * [P-DS-4] Stores the accepted document, its version and the keyring it was verified with,
   * in one transaction, only after the whole document was accepted.
   *
   * @example
   * if (verdict.kind === 'accepted') gate.commit(verdict);
   */
  commit(verdict: Extract<DesiredVerdict, { kind: 'accepted' }>): void {
    this.db
      .prepare(
        `UPDATE converge_trust SET keyring_json = ?, keyring_version = ?, desired_version = ?, desired_json = ?,
           desired_digest = ?, refused_digest = NULL, updated_at = ? WHERE id = 1`,
      )
      .run(
        JSON.stringify(verdict.keyring),
        verdict.keyring.signed.version,
        verdict.desired.version,
        JSON.stringify(verdict.desired),
        verdict.digest,
        new Date().toISOString(),
      );
  }

  /** Remembers a refused payload so that its redeliveries are not reported again. */
  noteRefused(payloadDigest: string): void {
    this.db
      .prepare('UPDATE converge_trust SET refused_digest = ?, updated_at = ? WHERE id = 1')
      .run(payloadDigest, new Date().toISOString());
  }
}
