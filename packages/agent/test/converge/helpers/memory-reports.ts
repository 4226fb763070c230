/** A test-only ReportSink that keeps every appended record in memory. */
import type { OutboxStream, ReportSink } from '../../../src/outbox/outbox-api.js';

export interface StatusRecord {
  desiredVersion: number;
  executionId: string;
  model: string;
  version: string;
  sha256: string;
  state: string;
  progress?: { bytes: number; total: number };
  error?: { code: string; message: string };
}

export class MemoryReports implements ReportSink {
  readonly records: { stream: OutboxStream; record: Record<string, unknown> }[] = [];

  append(stream: OutboxStream, record: Record<string, unknown>): void {
    this.records.push({ stream, record: structuredClone(record) });
  }

  statuses(): StatusRecord[] {
    return this.records
      .filter((r) => r.stream === 'status')
      .map((r) => r.record as unknown as StatusRecord);
  }

  /** The states reported for one execution, progress repeats collapsed. */
  statesOf(executionId: string): string[] {
    const states: string[] = [];
    for (const s of this.statuses()) {
      if (s.executionId === executionId && states.at(-1) !== s.state) states.push(s.state);
    }
    return states;
  }

  /** The last status of one execution. */
  last(executionId: string): StatusRecord | undefined {
    return this.statuses()
      .filter((s) => s.executionId === executionId)
      .at(-1);
  }
}
