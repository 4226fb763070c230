/**
 * Application-level acks on `ef/v1/d/{id}/ack`: which outbox sequence numbers of a boot the hub
 * has stored. MQTT QoS 1 alone loses messages under broker queue limits; the ack makes loss
 * visible so the agent resends.
 */
import { z } from 'zod';
import { ProtocolError } from './errors.js';
import { parseJson } from './parse-json.js';
import { BootIdSchema, CountSchema, TimestampSchema } from './schema-primitives.js';

/** An inclusive range of sequence numbers `[from, to]`. */
export type SeqRange = [number, number];

const RangeSchema = z
  .tuple([CountSchema, CountSchema])
  .refine(([from, to]) => from <= to, 'range start is above its end');

/** [P-AK-2] An ack: inclusive seq ranges of one boot the hub has durably stored. */
export const AckSchema = z.looseObject({
  bootId: BootIdSchema,
  ranges: z.array(RangeSchema).min(1).max(1000),
  ts: TimestampSchema,
});
export type Ack = z.output<typeof AckSchema>;

/**
 * Parses an ack. Throws `EF_PROTO_TOO_LARGE`, `EF_PROTO_JSON` or `EF_PROTO_SCHEMA`.
 *
 * @example
 * const ack = parseAck(payload);
 */
export function parseAck(input: unknown): Ack {
  return parseJson(input, AckSchema, 'ack');
}

/**
 * Sorts and merges overlapping or adjacent inclusive ranges.
 *
 * @example
 * mergeRanges([[5, 7], [1, 3], [4, 4]]); // [[1, 7]]
 */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): SeqRange[] {
  for (const [from, to] of ranges) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
      throw new ProtocolError('EF_PROTO_ARGUMENT', `invalid seq range [${from}, ${to}]`);
    }
  }
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: SeqRange[] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/**
 * True when `seq` is inside one of the inclusive ranges.
 *
 * @example
 * rangesContain([[1, 3], [7, 9]], 8); // true
 */
export function rangesContain(
  ranges: ReadonlyArray<readonly [number, number]>,
  seq: number,
): boolean {
  return ranges.some(([from, to]) => seq >= from && seq <= to);
}

/**
 * Compresses a list of sequence numbers into merged ranges, the form an ack carries.
 *
 * @example
 * rangesFromSeqs([3, 1, 2, 7]); // [[1, 3], [7, 7]]
 */
export function rangesFromSeqs(seqs: Iterable<number>): SeqRange[] {
  return mergeRanges([...seqs].map((s): SeqRange => [s, s]));
}
