/**
 * The received-block bitmap of a partial download: bit `i` (byte `i >> 3`, bit `i & 7`) is set
 * once block `i` is on disk. Stored as a BLOB in SQLite so a restart resumes ([P-BL-1]).
 */

/**
 * An all-zero bitmap for `blocks` blocks.
 *
 * @example
 * const bitmap = createBitmap(17); // 3 bytes
 */
export function createBitmap(blocks: number): Buffer {
  return Buffer.alloc(Math.ceil(blocks / 8));
}

/**
 * True when block `index` is marked received.
 *
 * @example
 * hasBlock(bitmap, 3);
 */
export function hasBlock(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/**
 * Marks block `index` received (in place).
 *
 * @example
 * markBlock(bitmap, 3);
 */
export function markBlock(bitmap: Uint8Array, index: number): void {
  const byte = index >> 3;
  bitmap[byte] = (bitmap[byte] ?? 0) | (1 << (index & 7));
}

/**
 * The indexes of the blocks not yet received, ascending.
 *
 * @example
 * missingBlocks(bitmap, 17); // [0, 1, ...]
 */
export function missingBlocks(bitmap: Uint8Array, blocks: number): number[] {
  const missing: number[] = [];
  for (let i = 0; i < blocks; i += 1) if (!hasBlock(bitmap, i)) missing.push(i);
  return missing;
}

/**
 * How many of the first `blocks` blocks are marked received.
 *
 * @example
 * countBlocks(bitmap, 17);
 */
export function countBlocks(bitmap: Uint8Array, blocks: number): number {
  let n = 0;
  for (let i = 0; i < blocks; i += 1) if (hasBlock(bitmap, i)) n += 1;
  return n;
}
