/**
 * Runs async sections one at a time. The converger's loop and its probation watches both change
 * what serves (pointer files, the model host); this keeps those changes from interleaving.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `section` after every section queued before it has settled.
   *
   * @example
   * await lock.run(async () => { await pointers.write(p); await host.activate(prepared); });
   */
  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
