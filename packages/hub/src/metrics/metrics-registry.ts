/**
 * A tiny Prometheus registry: counters and gauges with labels, rendered in the text exposition
 * format (version 0.0.4). Enough for the hub's `/metrics`; no histograms, no dependency.
 */

type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** One metric family: a counter or a gauge, with a value per label set. */
abstract class Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly type: 'counter' | 'gauge',
  ) {
    if (!NAME.test(name)) throw new TypeError(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l)) throw new TypeError(`invalid label ${l}`);
  }

  protected key(labels: Labels): string {
    // Label values come from our own code (kinds, reasons), never from device input.
    return this.labelNames.map((l) => labels[l] ?? '').join('\u0000');
  }

  protected update(labels: Labels, fn: (old: number) => number): void {
    const key = this.key(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value = fn(entry.value);
    else this.#values.set(key, { labels: { ...labels }, value: fn(0) });
  }

  /** The current value for `labels` (0 when never set). */
  get(labels: Labels = {}): number {
    return this.#values.get(this.key(labels))?.value ?? 0;
  }

  /** The exposition lines of this family. */
  render(): string[] {
    const lines = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    if (this.#values.size === 0 && this.labelNames.length === 0) {
      lines.push(`${this.name} 0`);
    }
    for (const { labels, value } of this.#values.values()) {
      const pairs = this.labelNames
        .filter((l) => labels[l] !== undefined)
        .map((l) => `${l}="${escapeLabel(labels[l] ?? '')}"`);
      const suffix = pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
      lines.push(`${this.name}${suffix} ${formatValue(value)}`);
    }
    return lines;
  }
}

/** A monotonically increasing count. */
export class Counter extends Metric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'counter');
  }

  /** Adds `by` (default 1; negative amounts are ignored: counters never go down). */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return;
    this.update(labels, (v) => v + by);
  }
}

/** A value that goes up and down. */
export class Gauge extends Metric {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }

  set(value: number, labels: Labels = {}): void {
    this.update(labels, () => value);
  }
}

/**
 * Holds metric families and renders them.
 *
 * @example
 * const registry = new MetricsRegistry();
 * const rejects = registry.counter('edgefleet_hub_rejects_total', 'Rejected messages', ['reason']);
 * rejects.inc({ reason: 'schema' });
 * registry.text(); // '# HELP edgefleet_hub_rejects_total ...'
 */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name))
      throw new TypeError(`metric ${metric.name} registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** The Prometheus text exposition of every family, ending in a newline. */
  text(): string {
    return `${[...this.#metrics.values()].flatMap((m) => m.render()).join('\n')}\n`;
  }
}
