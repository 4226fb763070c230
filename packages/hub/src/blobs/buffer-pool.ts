/**
 * Reusable read buffers of one size: block serving reads a 64 KiB block per request, and
 * reusing the few buffers that are in use at once spares the allocator and the garbage
 * collector a large allocation per block.
 */

/**
 * A bounded free list of equally sized buffers.
 *
 * @example
 * const pool = new BufferPool(65536, 16);
 * const buf = pool.take();
 * try { await file.read(buf, 0, buf.length, offset); } finally { pool.give(buf); }
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly maxFree: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('size must be positive');
  }

  /** A buffer of `size` bytes with undefined content. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer taken from this pool; the caller must not use it afterwards. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.maxFree) this.#free.push(buffer);
  }

  /** Buffers waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }
}
