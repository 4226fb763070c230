/**
 * The outbox's SQL (tables in `outbox-tables.ts`), with in-memory mirrors of what the hot paths
 * read: per-stream counts (so an append checks its cap without a query) and the formed batches
 * (few: at most the send window per boot that had a connection). Every change to the tables
 * and to the mirrors happens together, inside one transaction.
 *
 * Invariant the queries rely on: in a stream's table, every row of a formed batch has a lower
 * id than every unsent row (batches are formed from the oldest unsent rows, appends get higher
 * ids), and a batch's rows are exactly the rows in its `[firstId, lastId]` range.
 */
import { TELEMETRY_STREAMS, rangesContain } from '@edgefleet/protocol';
import type { SeqRange } from '@edgefleet/protocol';
import type { Statement } from 'better-sqlite3';
import type { AgentDb } from '../state/agent-db.js';
import type { OutboxStream } from './outbox-api.js';
import type { SerializedRecord } from './outbox-records.js';
import { OUTBOX_STREAMS, isOutboxStream } from './outbox-streams.js';
import { ensureOutboxTables, streamStatements } from './outbox-tables.js';
import type { StreamStatements } from './outbox-tables.js';

/** Where a formed batch is in the sender's cycle (memory only; a restart starts at idle). */
export type FlightState = 'idle' | 'publishing' | 'awaiting';

/** A batch as first formed: its records keep this `(bootId, seq)` until acked. */
export interface StoredBatch {
  readonly id: number;
  readonly bootId: string;
  readonly seq: number;
  readonly stream: OutboxStream;
  readonly firstId: number;
  readonly lastId: number;
  readonly records: number;
  readonly bytes: number;
  /** Creation time of its newest record; the batch expires after that plus the TTL. */
  readonly newestMs: number;
  flight: FlightState;
  sentAtMs: number;
  attempts: number;
}

/** Mutable per-stream figures; `dropped`..`reportedExpired` are persisted. */
export interface StreamCounts {
  depth: number;
  bytes: number;
  unsent: number;
  dropped: number;
  expired: number;
  reportedDropped: number;
  reportedExpired: number;
}

/** What a drop or expiry removed. */
export interface Removed {
  readonly records: number;
  readonly bytes: number;
}

const UNSENT_PAGE = 512;

const emptyCounts = (): StreamCounts => ({
  depth: 0,
  bytes: 0,
  unsent: 0,
  dropped: 0,
  expired: 0,
  reportedDropped: 0,
  reportedExpired: 0,
});

interface UnsentRow {
  id: number;
  bytes: number;
  body: string;
  createdMs: number;
}

/** Durable outbox state of one agent database. Not safe to open twice on the same database. */
export class OutboxStore {
  readonly counts: Record<OutboxStream, StreamCounts>;
  /** Formed, unacked batches by id; insertion order is formation order. */
  readonly formed = new Map<number, StoredBatch>();
  private nextSeq: number;
  private readonly st: Record<OutboxStream, StreamStatements>;
  private readonly insertBatch: Statement;
  private readonly deleteBatchRow: Statement;
  private readonly setNextSeq: Statement;
  private readonly saveCountersRow: Statement;

  constructor(
    private readonly db: AgentDb,
    readonly bootId: string,
  ) {
    ensureOutboxTables(db);
    this.st = Object.fromEntries(OUTBOX_STREAMS.map((s) => [s, streamStatements(db, s)])) as Record<
      OutboxStream,
      StreamStatements
    >;
    this.insertBatch = db.prepare(`INSERT INTO outbox_batches
      (boot_id, seq, stream, first_id, last_id, records, bytes, newest_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteBatchRow = db.prepare('DELETE FROM outbox_batches WHERE id = ?');
    this.setNextSeq = db.prepare('UPDATE outbox_boots SET next_seq = ? WHERE boot_id = ?');
    this.saveCountersRow = db.prepare(`INSERT INTO outbox_counters
        (stream, dropped, expired, reported_dropped, reported_expired) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (stream) DO UPDATE SET dropped = excluded.dropped, expired = excluded.expired,
        reported_dropped = excluded.reported_dropped, reported_expired = excluded.reported_expired`);
    this.counts = Object.fromEntries(OUTBOX_STREAMS.map((s) => [s, emptyCounts()])) as Record<
      OutboxStream,
      StreamCounts
    >;
    this.nextSeq = db.transaction(() => this.load())();
  }

  private load(): number {
    const db = this.db;
    for (const stream of OUTBOX_STREAMS) {
      const t = this.st[stream].totals.get() as { n: number; bytes: number; unsent: number };
      Object.assign(this.counts[stream], { depth: t.n, bytes: t.bytes, unsent: t.unsent });
    }
    const counters = db.prepare('SELECT * FROM outbox_counters').all() as {
      stream: string;
      dropped: number;
      expired: number;
      reported_dropped: number;
      reported_expired: number;
    }[];
    for (const c of counters) {
      if (!isOutboxStream(c.stream)) continue;
      Object.assign(this.counts[c.stream], {
        dropped: c.dropped,
        expired: c.expired,
        reportedDropped: c.reported_dropped,
        reportedExpired: c.reported_expired,
      });
    }
    const batches = db
      .prepare(
        `SELECT id, boot_id AS bootId, seq, stream, first_id AS firstId, last_id AS lastId,
          records, bytes, newest_ms AS newestMs FROM outbox_batches ORDER BY id`,
      )
      .all() as Omit<StoredBatch, 'flight' | 'sentAtMs' | 'attempts'>[];
    for (const b of batches) {
      // A batch of a stream this version does not know stays untouched (a newer agent's).
      if (isOutboxStream(b.stream)) {
        this.formed.set(b.id, { ...b, flight: 'idle', sentAtMs: 0, attempts: 0 });
      }
    }
    db.prepare('INSERT OR IGNORE INTO outbox_boots (boot_id, next_seq) VALUES (?, 0)').run(
      this.bootId,
    );
    // Boots whose batches were all acked need no counter any more.
    db.prepare(
      'DELETE FROM outbox_boots WHERE boot_id <> ? AND boot_id NOT IN (SELECT boot_id FROM outbox_batches)',
    ).run(this.bootId);
    return db
      .prepare('SELECT next_seq FROM outbox_boots WHERE boot_id = ?')
      .pluck()
      .get(this.bootId) as number;
  }

  /**
   * Runs `fn` in one transaction (nested calls become savepoints); when it fails, the
   * in-memory mirrors are put back as they were, like the tables.
   */
  transaction<T>(fn: () => T): T {
    const counts = OUTBOX_STREAMS.map((s) => ({ ...this.counts[s] }));
    const formed = [...this.formed.values()];
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      OUTBOX_STREAMS.forEach((s, i) => Object.assign(this.counts[s], counts[i]));
      this.formed.clear();
      for (const b of formed) this.formed.set(b.id, b);
      throw err;
    }
  }

  /** Inserts one record (its own transaction unless inside one: durable when this returns). */
  insert(stream: OutboxStream, record: SerializedRecord, createdMs: number): void {
    this.st[stream].insert.run(createdMs, record.bytes, record.body);
    const c = this.counts[stream];
    c.depth += 1;
    c.bytes += record.bytes;
    c.unsent += 1;
  }

  /** Inserts records all or none. */
  insertMany(stream: OutboxStream, records: readonly SerializedRecord[], createdMs: number): void {
    this.transaction(() => {
      for (const record of records) this.insert(stream, record, createdMs);
    });
  }

  /**
   * Packs the oldest unsent records of `stream` into a new batch of at most `maxRecords`
   * records and `maxBodyBytes` of record JSON, and gives it this boot's next seq, persisted
   * with it ([P-AK-1]). Undefined when the stream has nothing unsent.
   */
  formBatch(
    stream: OutboxStream,
    maxRecords: number,
    maxBodyBytes: number,
  ): { batch: StoredBatch; bodies: string[] } | undefined {
    return this.transaction(() => {
      const rows = this.st[stream].unsent.all(maxRecords) as UnsentRow[];
      const taken: UnsentRow[] = [];
      let size = 0;
      for (const row of rows) {
        if (taken.length > 0 && size + row.bytes + 1 > maxBodyBytes) break;
        taken.push(row);
        size += row.bytes + 1;
      }
      const first = taken[0];
      const last = taken[taken.length - 1];
      if (!first || !last) return undefined;
      const bytes = taken.reduce((sum, r) => sum + r.bytes, 0);
      const newestMs = taken.reduce((max, r) => Math.max(max, r.createdMs), 0);
      const seq = this.nextSeq;
      const { lastInsertRowid } = this.insertBatch.run(
        this.bootId,
        seq,
        stream,
        first.id,
        last.id,
        taken.length,
        bytes,
        newestMs,
      );
      const id = Number(lastInsertRowid);
      this.st[stream].markBatch.run(id, first.id, last.id);
      this.setNextSeq.run(seq + 1, this.bootId);
      this.nextSeq = seq + 1;
      this.counts[stream].unsent -= taken.length;
      const batch: StoredBatch = {
        id,
        bootId: this.bootId,
        seq,
        stream,
        firstId: first.id,
        lastId: last.id,
        records: taken.length,
        bytes,
        newestMs,
        flight: 'idle',
        sentAtMs: 0,
        attempts: 0,
      };
      this.formed.set(id, batch);
      return { batch, bodies: taken.map((r) => r.body) };
    });
  }

  /** The stored record JSON of a formed batch, in order. */
  batchBodies(batch: StoredBatch): string[] {
    return this.st[batch.stream].batchBodies.all(batch.firstId, batch.lastId) as string[];
  }

  /** Deletes the formed batches of `bootId` whose seq the ranges cover ([P-AK-2]); returns them. */
  deleteAcked(bootId: string, ranges: readonly SeqRange[]): StoredBatch[] {
    const hit = [...this.formed.values()].filter(
      (b) => b.bootId === bootId && rangesContain(ranges, b.seq),
    );
    if (hit.length === 0) return hit;
    this.transaction(() => {
      for (const b of hit) {
        this.unlinkBatch(b);
        const c = this.counts[b.stream];
        c.depth -= b.records;
        c.bytes -= b.bytes;
      }
    });
    return hit;
  }

  /** Deletes a batch and its records; the caller accounts for them. */
  private unlinkBatch(batch: StoredBatch): void {
    this.st[batch.stream].deleteBatch.run(batch.firstId, batch.lastId);
    this.deleteBatchRow.run(batch.id);
    this.formed.delete(batch.id);
  }

  /**
   * Frees at least `bytes` of `stream` (when it can): oldest unsent records first, then whole
   * formed batches that are not in flight; batches in flight are never cut (the cap is exceeded
   * by at most the send window). Counted as dropped.
   */
  dropOldest(stream: OutboxStream, bytes: number): Removed {
    return this.transaction(() => {
      const st = this.st[stream];
      let freed = 0;
      let records = 0;
      while (freed < bytes) {
        const page = st.unsentSizes.all(UNSENT_PAGE) as { id: number; bytes: number }[];
        let lastId: number | undefined;
        for (const row of page) {
          freed += row.bytes;
          records += 1;
          lastId = row.id;
          if (freed >= bytes) break;
        }
        if (lastId === undefined) break;
        this.counts[stream].unsent -= st.deleteUnsentUpTo.run(lastId).changes;
      }
      for (const batch of [...this.formed.values()]) {
        if (freed >= bytes) break;
        if (batch.stream !== stream || batch.flight !== 'idle') continue;
        this.unlinkBatch(batch);
        freed += batch.bytes;
        records += batch.records;
      }
      return this.removed(stream, 'dropped', records, freed);
    });
  }

  /** Drops records of `stream` created before `cutoffMs` (whole idle batches by their newest). */
  expire(stream: OutboxStream, cutoffMs: number): Removed {
    const st = this.st[stream];
    const oldest = st.oldestUnsent.get() as number | undefined;
    const stale = [...this.formed.values()].filter(
      (b) => b.stream === stream && b.flight === 'idle' && b.newestMs < cutoffMs,
    );
    if ((oldest === undefined || oldest >= cutoffMs) && stale.length === 0) {
      return { records: 0, bytes: 0 };
    }
    return this.transaction(() => {
      const totals = st.expiredTotals.get(cutoffMs) as { n: number; bytes: number };
      st.deleteExpired.run(cutoffMs);
      this.counts[stream].unsent -= totals.n;
      let records = totals.n;
      let bytes = totals.bytes;
      for (const batch of stale) {
        this.unlinkBatch(batch);
        records += batch.records;
        bytes += batch.bytes;
      }
      return this.removed(stream, 'expired', records, bytes);
    });
  }

  private removed(
    stream: OutboxStream,
    why: 'dropped' | 'expired',
    records: number,
    bytes: number,
  ): Removed {
    const c = this.counts[stream];
    c.depth -= records;
    c.bytes -= bytes;
    c[why] += records;
    if (records > 0) this.saveCounters(stream);
    return { records, bytes };
  }

  /** Records that every drop and expiry so far has been reported (persisted). */
  markLossesReported(): void {
    for (const stream of TELEMETRY_STREAMS) {
      const c = this.counts[stream];
      if (c.reportedDropped === c.dropped && c.reportedExpired === c.expired) continue;
      c.reportedDropped = c.dropped;
      c.reportedExpired = c.expired;
      this.saveCounters(stream);
    }
  }

  private saveCounters(stream: OutboxStream): void {
    const c = this.counts[stream];
    this.saveCountersRow.run(stream, c.dropped, c.expired, c.reportedDropped, c.reportedExpired);
  }
}
