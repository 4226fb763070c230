/**
 * Test helpers for drift: a fake outbox that keeps what is appended, a seeded random source,
 * and the PM fixture's CSV files as numeric rows.
 */
import { readFileSync } from 'node:fs';
import type { OutboxStream, ReportSink } from '../../src/outbox/outbox-api.js';

/** A ReportSink that keeps records in memory, by stream. */
export class MemorySink implements ReportSink {
  readonly records: { stream: OutboxStream; record: Record<string, unknown> }[] = [];

  append(stream: OutboxStream, record: Record<string, unknown>): void {
    // A deep copy, as the real outbox serialises the record before append returns.
    this.records.push({ stream, record: JSON.parse(JSON.stringify(record)) });
  }

  of(stream: OutboxStream): Record<string, unknown>[] {
    return this.records.filter((r) => r.stream === stream).map((r) => r.record);
  }
}

/** mulberry32: a small seeded generator so sampled windows are the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A numeric CSV (the PM fixtures): header names and rows of numbers ('' is NaN). */
export function readNumericCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  const rows = lines
    .slice(1)
    .map((l) => l.split(',').map((c) => (c === '' ? Number.NaN : Number(c))));
  return { header, rows };
}
