/** Prints the demo's story: numbered steps, indented facts, and checks that must come out right. */
export class Narrator {
  private step = 0;
  private failures = 0;
  private readonly started = Date.now();

  section(title: string): void {
    this.step += 1;
    console.log(`\n[${this.step}] ${title}`);
  }

  info(text: string): void {
    console.log(`    ${text}`);
  }

  command(text: string): void {
    console.log(`    $ ${text}`);
  }

  /** A check the demo relies on; a wrong outcome is counted and fails the demo at the end. */
  expect(ok: boolean, text: string): void {
    if (!ok) this.failures += 1;
    console.log(`    ${ok ? 'ok  ' : 'FAIL'} ${text}`);
  }

  get failed(): number {
    return this.failures;
  }

  elapsedSeconds(): string {
    return ((Date.now() - this.started) / 1000).toFixed(1);
  }
}
