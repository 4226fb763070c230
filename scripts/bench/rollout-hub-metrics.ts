/** Reads the hub's Prometheus `/metrics` into numbers the rollout benchmark can subtract. */

/** Sample values keyed by `name` or `name{label="v",...}` as the text writes them. */
export type MetricSamples = ReadonlyMap<string, number>;

/**
 * Fetches and parses `<httpUrl>/metrics` (unauthenticated).
 *
 * @example
 * const m = await hubMetrics('http://127.0.0.1:8080');
 * m.get('edgefleet_hub_devices_online');
 */
export async function hubMetrics(httpUrl: string): Promise<MetricSamples> {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const value = Number(line.slice(cut + 1));
    if (cut > 0 && Number.isFinite(value)) samples.set(line.slice(0, cut), value);
  }
  return samples;
}

/**
 * The increase of every sample of family `name` between two readings, by its label text
 * (`kind="health"` or '' for an unlabelled family).
 *
 * @example
 * delta(before, after, 'edgefleet_hub_messages_in_total'); // Map { 'kind="health"' => 5012, ... }
 */
export function delta(
  before: MetricSamples,
  after: MetricSamples,
  name: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of after) {
    const labels =
      key === name ? '' : key.startsWith(`${name}{`) ? key.slice(name.length + 1, -1) : undefined;
    if (labels === undefined) continue;
    out.set(labels, value - (before.get(key) ?? 0));
  }
  return out;
}
