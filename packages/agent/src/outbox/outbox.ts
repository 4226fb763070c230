/**
 * The agent's outbox (DESIGN section 8): every report is written to SQLite before `append`
 * returns, sent in batches at QoS 1, and deleted only when the hub acks its `(bootId, seq)`
 * ([P-AK-1], [P-AK-2]). Per-stream byte caps, TTL and priority (`outbox-streams.ts`); status
 * is never dropped ([P-ST-1]); drops and expiries are counted, persisted and reported to the
 * hub as `events` records.
 */
import { BootIdSchema, isDeviceId, parseAck, TELEMETRY_STREAMS } from '@edgefleet/protocol';
import type { AgentLink, AgentLogger } from '../link/agent-link-api.js';
import { silentLogger } from '../link/agent-link-api.js';
import type { AgentDb } from '../state/agent-db.js';
import type { OutboxStats, OutboxStream, OutboxStreamStats, ReportSink } from './outbox-api.js';
import { OutboxError } from './outbox-errors.js';
import { outboxStorageError } from './outbox-sqlite-errors.js';
import { serializeRecord } from './outbox-records.js';
import { OutboxSender } from './outbox-sender.js';
import { OutboxStore } from './outbox-store.js';
import { OUTBOX_STREAMS, resolveStreamPolicies, streamsBySendOrder } from './outbox-streams.js';
import type { StreamPolicy, StreamPolicyOverrides } from './outbox-streams.js';

export interface OutboxOptions {
  readonly deviceId: string;
  /** This process's boot id: new batches take their seq from its counter ([P-AK-1]). */
  readonly bootId: string;
  /** Caps, TTLs and priorities of telemetry streams (defaults in `outbox-streams.ts`). */
  readonly streams?: StreamPolicyOverrides;
  readonly now?: () => number;
  readonly logger?: AgentLogger;
  /** First resend delay of an unacked batch; doubles per attempt. Default 10000. */
  readonly ackTimeoutMs?: number;
  /** Cap of the resend delay. Default 300000. */
  readonly maxAckTimeoutMs?: number;
  /** Batches published and not yet acked, at most. Default 8. */
  readonly maxInFlight?: number;
  /** Period of the timer that resends, expires and reports losses. Default 1000. */
  readonly tickMs?: number;
  /** At most one loss report (per kind) per this period. Default 60000. */
  readonly lossReportIntervalMs?: number;
}

/** After a cap is crossed, drop down to this share of it, so drops come in runs, not per append. */
const CAP_LOW_WATER = 0.95;

/** The SQLite outbox; also the {@link ReportSink} the other agent modules write to. */
export class Outbox implements ReportSink {
  private readonly store: OutboxStore;
  private readonly policies: Record<OutboxStream, StreamPolicy>;
  private readonly now: () => number;
  private readonly log: AgentLogger;
  private sender: OutboxSender | undefined;
  private detach: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastLossReportMs = -Infinity;
  private corruptAcks = 0;
  private closed = false;

  /**
   * Opens the outbox on the agent database (creating its tables). Throws
   * `EF_AGENT_OUTBOX_ARGUMENT` for a bad device id, boot id or policy, `EF_AGENT_OUTBOX_IO`
   * when the database cannot be read.
   *
   * @example
   * const outbox = new Outbox(openAgentDb(path), { deviceId: 'press-07', bootId: randomUUID() });
   * outbox.append('events', { ts, level: 'info', code: 'EF_AGENT_STARTED', message: 'started' });
   * outbox.start(link);
   */
  constructor(
    private readonly db: AgentDb,
    private readonly options: OutboxOptions,
  ) {
    if (!isDeviceId(options.deviceId)) {
      throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', 'deviceId is not a valid device id');
    }
    if (!BootIdSchema.safeParse(options.bootId).success) {
      throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', 'bootId is not a valid boot id');
    }
    for (const key of ['ackTimeoutMs', 'maxAckTimeoutMs', 'maxInFlight', 'tickMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', `${key} must be a positive number`);
      }
    }
    const report = options.lossReportIntervalMs;
    if (report !== undefined && !(Number.isFinite(report) && report >= 0)) {
      throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', 'lossReportIntervalMs must be >= 0');
    }
    this.policies = resolveStreamPolicies(options.streams);
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
    try {
      this.store = new OutboxStore(db, options.bootId);
    } catch (err) {
      throw outboxStorageError(err, db, 'open');
    }
    // Caps may have shrunk since the last run.
    for (const stream of TELEMETRY_STREAMS) this.enforceCap(stream);
  }

  /**
   * Stores one record durably before returning (see {@link ReportSink.append}).
   *
   * @example
   * outbox.append('status', { desiredVersion: 3, executionId, model, version, sha256, state: 'installed' });
   */
  append(stream: OutboxStream, record: Record<string, unknown>): void {
    this.checkOpen();
    const nowMs = this.now();
    const { deviceId, bootId } = this.options;
    const serialized = serializeRecord(stream, record, { deviceId, bootId, nowMs });
    try {
      this.store.insert(stream, serialized, nowMs);
    } catch (err) {
      throw outboxStorageError(err, this.db, 'append');
    }
    this.afterAppend(stream);
  }

  /**
   * Stores records of one stream in one transaction: all or none, durable before returning.
   * Every record is checked before anything is written.
   *
   * @example
   * outbox.appendMany('inference', windows);
   */
  appendMany(stream: OutboxStream, records: readonly Record<string, unknown>[]): void {
    this.checkOpen();
    if (!Array.isArray(records)) {
      throw new OutboxError('EF_AGENT_OUTBOX_ARGUMENT', 'appendMany takes an array of records');
    }
    const nowMs = this.now();
    const ctx = { deviceId: this.options.deviceId, bootId: this.options.bootId, nowMs };
    const serialized = records.map((r) => serializeRecord(stream, r, ctx));
    if (serialized.length === 0) return;
    try {
      this.store.insertMany(stream, serialized, nowMs);
    } catch (err) {
      throw outboxStorageError(err, this.db, 'append');
    }
    this.afterAppend(stream);
  }

  private afterAppend(stream: OutboxStream): void {
    if (this.store.counts[stream].bytes > this.policies[stream].maxBytes) this.enforceCap(stream);
    this.sender?.wake();
  }

  private checkOpen(): void {
    if (this.closed) throw new OutboxError('EF_AGENT_OUTBOX_CLOSED', 'the outbox is closed');
  }

  private enforceCap(stream: OutboxStream): void {
    const { maxBytes } = this.policies[stream];
    const over = this.store.counts[stream].bytes - Math.floor(maxBytes * CAP_LOW_WATER);
    if (this.store.counts[stream].bytes <= maxBytes || over <= 0) return;
    try {
      const removed = this.store.dropOldest(stream, over);
      if (removed.records > 0) {
        this.log.debug(
          { code: 'EF_AGENT_OUTBOX_DROPPED', stream, ...removed },
          'outbox over its cap',
        );
      }
    } catch (err) {
      // The record is stored; failing to make room is reported, not thrown at the appender.
      this.storeFailed(err, 'cap');
    }
  }

  /** Drops records past their stream's TTL (run by the timer; callable any time). */
  expireOld(): void {
    const nowMs = this.now();
    for (const stream of TELEMETRY_STREAMS) {
      const { ttlMs } = this.policies[stream];
      if (!Number.isFinite(ttlMs)) continue;
      try {
        const removed = this.store.expire(stream, nowMs - ttlMs);
        if (removed.records > 0) {
          this.log.debug({ code: 'EF_AGENT_OUTBOX_EXPIRED', stream, ...removed }, 'outbox expiry');
        }
      } catch (err) {
        this.storeFailed(err, 'expiry');
      }
    }
  }

  /**
   * Handles an ack from the hub ([P-AK-2]): deletes the batches of that boot it covers. A
   * payload that is not an ack is ignored and counted (`stats().corruptAcks`); never throws.
   *
   * @example
   * link.onMessage('ack', (_topic, payload) => outbox.handleAck(payload));
   */
  handleAck(payload: Buffer | string): void {
    if (this.closed) return;
    let ack;
    try {
      ack = parseAck(payload);
    } catch (err) {
      this.corruptAcks += 1;
      this.log.warn(
        {
          code: 'EF_AGENT_OUTBOX_ACK_INVALID',
          err: err instanceof Error ? err.message : String(err),
        },
        'ignored an invalid ack',
      );
      return;
    }
    try {
      this.store.deleteAcked(ack.bootId, ack.ranges);
    } catch (err) {
      this.storeFailed(err, 'ack');
      return;
    }
    this.sender?.wake();
  }

  /**
   * Starts sending over `link`: subscribes to acks, resends on every reconnect, runs the timer
   * for resends, TTL and loss reports. A second `start` replaces the first.
   *
   * @example
   * outbox.start(link);
   */
  start(link: AgentLink): void {
    this.checkOpen();
    this.stopSending();
    const sender = new OutboxSender(this.store, link, {
      deviceId: this.options.deviceId,
      order: streamsBySendOrder(this.policies),
      ackTimeoutMs: this.options.ackTimeoutMs ?? 10_000,
      maxAckTimeoutMs: this.options.maxAckTimeoutMs ?? 300_000,
      maxInFlight: this.options.maxInFlight ?? 8,
      now: this.now,
      logger: this.log,
      onStoreError: (err) => this.storeFailed(err, 'send'),
    });
    this.sender = sender;
    this.detach = [
      link.onMessage('ack', (_topic, payload) => this.handleAck(payload)),
      link.onConnect(() => {
        sender.resetFlights();
        sender.wake();
      }),
    ];
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1000);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (!this.sender) return;
    this.expireOld();
    this.reportLosses();
    this.sender.expireFlights();
    this.sender.pump();
  }

  /**
   * Appends an `events` record per kind of loss (cap, TTL) since the last report, at most once
   * per `lossReportIntervalMs`, so the hub sees what the device could not keep.
   */
  private reportLosses(): void {
    const nowMs = this.now();
    if (nowMs - this.lastLossReportMs < (this.options.lossReportIntervalMs ?? 60_000)) return;
    const dropped: Record<string, number> = {};
    const expired: Record<string, number> = {};
    for (const stream of TELEMETRY_STREAMS) {
      const c = this.store.counts[stream];
      if (c.dropped > c.reportedDropped) dropped[stream] = c.dropped - c.reportedDropped;
      if (c.expired > c.reportedExpired) expired[stream] = c.expired - c.reportedExpired;
    }
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const records = [
      { code: 'EF_AGENT_OUTBOX_DROPPED', counts: dropped, what: 'over its byte cap' },
      { code: 'EF_AGENT_OUTBOX_EXPIRED', counts: expired, what: 'past its TTL' },
    ]
      .filter((r) => sum(r.counts) > 0)
      .map((r) => ({
        ts: new Date(nowMs).toISOString(),
        level: 'warn',
        code: r.code,
        message: `the outbox dropped ${sum(r.counts)} records ${r.what} since the last report`,
        details: { byStream: r.counts, total: sum(r.counts) },
      }));
    this.lastLossReportMs = nowMs;
    if (records.length === 0) return;
    try {
      const ctx = { deviceId: this.options.deviceId, bootId: this.options.bootId, nowMs };
      const serialized = records.map((r) => serializeRecord('events', r, ctx));
      this.store.transaction(() => {
        this.store.markLossesReported();
        this.store.insertMany('events', serialized, nowMs);
      });
    } catch (err) {
      this.storeFailed(err, 'loss report');
      return;
    }
    this.afterAppend('events');
  }

  private storeFailed(err: unknown, what: string): void {
    const coded = outboxStorageError(err, this.db, what);
    this.log.error(
      {
        code: coded instanceof OutboxError ? coded.code : undefined,
        err: coded instanceof Error ? coded.message : String(coded),
      },
      `outbox ${what} failed`,
    );
  }

  /** The outbox's figures (for the health record). */
  stats(): OutboxStats {
    const byStream = {} as Record<OutboxStream, OutboxStreamStats>;
    let depth = 0;
    let bytes = 0;
    let dropped = 0;
    let expired = 0;
    for (const stream of OUTBOX_STREAMS) {
      const c = this.store.counts[stream];
      byStream[stream] = {
        depth: c.depth,
        bytes: c.bytes,
        unsent: c.unsent,
        dropped: c.dropped,
        expired: c.expired,
      };
      depth += c.depth;
      bytes += c.bytes;
      dropped += c.dropped;
      expired += c.expired;
    }
    const inFlight = this.sender?.inFlight ?? 0;
    return { depth, bytes, dropped, expired, inFlight, corruptAcks: this.corruptAcks, byStream };
  }

  /**
   * The four figures of the health record's `outbox` field ([P-TL-1]).
   *
   * @example
   * new HealthReporter({ reports: outbox, outbox: () => outbox.counters(), ... });
   */
  counters(): { depth: number; bytes: number; dropped: number; expired: number } {
    const { depth, bytes, dropped, expired } = this.stats();
    return { depth, bytes, dropped, expired };
  }

  private stopSending(): void {
    for (const undo of this.detach) undo();
    this.detach = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sender?.stop();
    this.sender = undefined;
  }

  /**
   * Stops sending (unacked batches stay stored and are resent by the next `start`).
   *
   * @example
   * await outbox.stop();
   */
  async stop(): Promise<void> {
    this.stopSending();
  }

  /** Stops sending and refuses further appends; the database stays open (its owner closes it). */
  async close(): Promise<void> {
    this.stopSending();
    this.closed = true;
  }
}

/**
 * Opens the outbox on the agent database; see {@link Outbox}.
 *
 * @example
 * const outbox = openOutbox(db, { deviceId, bootId });
 */
export function openOutbox(db: AgentDb, options: OutboxOptions): Outbox {
  return new Outbox(db, options);
}
