/** What a running simulated fleet looks like, as data (`--json`) and as one status line. */

/** One simulated device's state. */
export interface SimDeviceSummary {
  id: string;
  site: string;
  /** e.g. `fail-install`, `slow@2.0.0`. */
  faults: string[];
  /** Connected to the broker. */
  connected: boolean;
  serving: { name: string; version: string }[];
  /** Reports stored and not yet acknowledged by the hub. */
  outboxDepth: number;
  /** Predictions answered. */
  predictions: number;
  /** Predictions refused or failed, by code. */
  errors: Record<string, number>;
}

/** The fleet at one moment. */
export interface FleetSummary {
  at: string;
  devices: number;
  connected: number;
  /** Devices per serving `name@version` (`none` for devices serving nothing). */
  serving: Record<string, number>;
  predictions: number;
  predictionErrors: number;
  errorCodes: Record<string, number>;
  /** Reports waiting in the devices' outboxes, summed. */
  outboxDepth: number;
  /** The shared worker pool: threads, requests outstanding, crashes, distinct sessions. */
  pool: { workers: number; outstanding: number; crashes: number; sessions: number };
  /** Resident memory of the whole process (hub not included unless it runs here too). */
  rssBytes: number;
  list: SimDeviceSummary[];
}

/**
 * Adds up per-device states.
 *
 * @example
 * const summary = summarizeFleet(list, pool.stats());
 */
export function summarizeFleet(list: SimDeviceSummary[], pool: FleetSummary['pool']): FleetSummary {
  const serving: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  let connected = 0;
  let predictions = 0;
  let outboxDepth = 0;
  for (const d of list) {
    if (d.connected) connected++;
    predictions += d.predictions;
    outboxDepth += d.outboxDepth;
    const keys = d.serving.length === 0 ? ['none'] : d.serving.map((m) => `${m.name}@${m.version}`);
    for (const key of keys) serving[key] = (serving[key] ?? 0) + 1;
    for (const [code, n] of Object.entries(d.errors))
      errorCodes[code] = (errorCodes[code] ?? 0) + n;
  }
  return {
    at: new Date().toISOString(),
    devices: list.length,
    connected,
    serving,
    predictions,
    predictionErrors: Object.values(errorCodes).reduce((a, b) => a + b, 0),
    errorCodes,
    outboxDepth,
    pool,
    rssBytes: process.memoryUsage.rss(),
    list,
  };
}

/**
 * One compact line: connected devices, versions served, predictions per second since
 * `previous`, errors, outbox depth and memory.
 *
 * @example
 * formatFleetLine(now, before);
 * // '12:00:05  48/50 connected  pm@1.0.0 40 · pm@1.1.0 8 · none 2  241 pred/s  errors 0  outbox 3  rss 512 MB'
 */
export function formatFleetLine(now: FleetSummary, previous?: FleetSummary): string {
  const seconds =
    previous === undefined ? 0 : (Date.parse(now.at) - Date.parse(previous.at)) / 1000;
  const rate = seconds > 0 ? (now.predictions - previous!.predictions) / seconds : 0;
  const versions = Object.entries(now.serving)
    .sort(([a], [b]) => (a === 'none' ? 1 : b === 'none' ? -1 : a.localeCompare(b)))
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
  const codes = Object.entries(now.errorCodes)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 2)
    .map(([code, n]) => `${code} ${n}`);
  return [
    now.at.slice(11, 19),
    `${now.connected}/${now.devices} connected`,
    versions,
    `${Math.round(rate)} pred/s`,
    `errors ${now.predictionErrors}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`,
    `outbox ${now.outboxDepth}`,
    `rss ${Math.round(now.rssBytes / 1024 / 1024)} MB`,
  ].join('  ');
}
