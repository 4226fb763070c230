/**
 * Human lines for rollouts: the list, the status view (waves with their state and device counts
 * by state, the current wave's shares and gates against their limits, soak time left), and one
 * line per event for `rollout status --watch`.
 */
import { formatTags } from './tag-arguments.js';
import { formatTable } from './text-table.js';
import type {
  RolloutEventView,
  RolloutGateView,
  RolloutProgressView,
  RolloutView,
  RolloutWaveView,
} from './rollout-views.js';

/** `12.5%`, at most one decimal. */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** `1h5m`, `10m`, `42s`, `800ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) parts.push(`${h}h`);
  if (m > 0) parts.push(`${m}m`);
  if (s % 60 > 0 || parts.length === 0) parts.push(`${s % 60}s`);
  return parts.join('');
}

/** `pm@1.1.0` */
export function rolloutRelease(r: RolloutView): string {
  return `${r.options.release.name}@${r.options.release.version}`;
}

function selectorText(r: RolloutView): string {
  const text = formatTags(r.options.selector);
  return text === '-' ? '* (every device)' : text;
}

function wavesText(r: RolloutView): string {
  const waves = r.options.waves;
  return typeof waves[0] === 'number'
    ? (waves as number[]).map((p) => `${p}%`).join(',')
    : `${waves.length} cohort(s)`;
}

/** One row per rollout. */
export function rolloutTable(rollouts: readonly RolloutView[]): string[] {
  if (rollouts.length === 0) return ['no rollouts'];
  return formatTable(
    ['ID', 'RELEASE', 'STATE', 'WAVE', 'SELECTOR', 'WAVES', 'CREATED'],
    rollouts.map((r) => [
      r.id,
      rolloutRelease(r),
      r.state,
      String(r.currentWave + 1),
      formatTags(r.options.selector),
      wavesText(r),
      r.createdAt,
    ]),
  );
}

/** A gate value written the way its expression is: `0.4%`, `1.31x`, `212.5ms` or `0.125`. */
export function gateValue(expression: string, value: number): string {
  if (expression.endsWith('%')) return percent(value);
  if (expression.endsWith('ms')) return `${Math.round(value * 10) / 10}ms`;
  if (expression.endsWith('x')) return `${Math.round(value * 100) / 100}x`;
  return String(Math.round(value * 1000) / 1000);
}

const GATE_STATUS: Record<RolloutGateView['status'], string> = {
  pass: 'pass',
  fail: 'FAIL',
  'no-data': 'no data yet',
  'not-evaluated': 'not evaluated',
};

function gateLines(wave: RolloutWaveView): string[] {
  if (wave.gates.length === 0) return [];
  const table = formatTable(
    ['GATE', 'VALUE', 'LIMIT', 'STATUS', 'DEVICES'],
    wave.gates.map((g) => [
      g.gate,
      g.value === null ? '-' : gateValue(g.gate, g.value),
      gateValue(g.gate, g.limit),
      GATE_STATUS[g.status],
      String(g.devices),
    ]),
  );
  return [`gates of wave ${wave.index + 1}:`, ...table.map((l) => `  ${l}`)];
}

function waveLabel(w: RolloutWaveView): string {
  return w.percent === null ? `${w.index + 1}` : `${w.index + 1} (${w.percent}%)`;
}

function waveTable(waves: readonly RolloutWaveView[]): string[] {
  return formatTable(
    [
      'WAVE',
      'STATE',
      'DEVICES',
      'PENDING',
      'UPDATING',
      'INSTALLED',
      'HEALTHY',
      'FAILED',
      'TIMED-OUT',
      'ROLLED-BACK',
      'SOAK LEFT',
    ],
    waves.map((w) => {
      const c = w.counts;
      return [
        waveLabel(w),
        w.state,
        String(w.size),
        String(c.pending),
        String(c.notified + c.downloading + c.verified),
        String(c.installed),
        String(c.healthy),
        String(c.failed),
        String(c['timed-out']),
        String(c['rolled-back']),
        w.soakRemainingMs === null ? '-' : duration(w.soakRemainingMs),
      ];
    }),
  );
}

/** What the current wave is judged on, against the thresholds. */
function judgementLine(view: RolloutProgressView, w: RolloutWaveView): string {
  const o = view.rollout.options;
  const m = w.metrics;
  return [
    `wave ${w.index + 1}: ${m.reported} of ${m.size} reported (judged from ${m.needed})`,
    `success ${percent(m.successShare)} (needs ${percent(o.minSuccess)})`,
    `failures ${percent(m.failureShare)} (max ${percent(o.maxFailures)})`,
  ].join(', ');
}

/**
 * The status view, a line per fact.
 *
 * @example
 * io.stdout(`${statusLines(view).join('\n')}\n`);
 */
export function statusLines(view: RolloutProgressView): string[] {
  const r = view.rollout;
  const o = r.options;
  const current = view.waves[r.currentWave];
  const lines = [
    `rollout ${r.id}  ${rolloutRelease(r)}  ${r.state}  (wave ${r.currentWave + 1} of ${view.waves.length})`,
    `  selector   ${selectorText(r)}: ${view.devices.total} devices, ${view.devices.notified} notified`,
    `  policy     soak ${duration(o.soakMs)}, max-failures ${percent(o.maxFailures)}, min-success ${percent(o.minSuccess)}, min-reported ${o.minReported}, rate ${Math.round(o.ratePerMinute * 100) / 100}/min, on failure ${o.onFailure}, device timeout ${duration(o.deviceTimeoutMs)}`,
    `  created    ${r.createdAt}${r.finishedAt === null ? '' : `, finished ${r.finishedAt}`}`,
  ];
  if (r.reason !== null) lines.push(`  reason     ${r.reason.message} (${r.reason.code})`);
  lines.push('', ...waveTable(view.waves));
  if (current !== undefined) {
    if (current.reason !== null) {
      lines.push(`wave ${current.index + 1} ${current.state}: ${current.reason.message}`);
    }
    if (current.state === 'running' || current.state === 'soaking') {
      lines.push(judgementLine(view, current));
    }
    const gates = gateLines(current);
    if (gates.length > 0) lines.push('', ...gates);
  }
  if (view.rollback !== null) {
    const b = view.rollback;
    lines.push(
      '',
      `rollback: ${b.done} of ${b.requested} devices back on their previous release (${b.assigned} desired states published, ${b.failed} failed)`,
    );
  }
  return lines;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function reasonOf(data: Record<string, unknown>): string {
  const reason = data['reason'];
  if (typeof reason === 'object' && reason !== null) {
    const message = (reason as Record<string, unknown>)['message'];
    if (typeof message === 'string') return `: ${message}`;
  }
  return '';
}

function errorOf(data: Record<string, unknown>): string {
  const error = data['error'];
  if (typeof error === 'object' && error !== null) {
    const code = (error as Record<string, unknown>)['code'];
    if (typeof code === 'string') return ` (${code})`;
  }
  return '';
}

/** What one event says, without its time. */
export function eventText(e: RolloutEventView): string {
  const d = e.data;
  const wave = e.wave === null ? '' : `wave ${e.wave + 1} `;
  switch (e.type) {
    case 'rollout-created':
      return `rollout created: ${String(d['devices'])} devices in waves of ${Array.isArray(d['waves']) ? d['waves'].join(', ') : '?'}`;
    case 'rollout-state':
      return `rollout ${String(d['from'])} -> ${String(d['to'])}${reasonOf(d)}`;
    case 'wave-state':
      return `${wave}${String(d['from'])} -> ${String(d['to'])}${reasonOf(d)}`;
    case 'device-state':
      return `${wave}${e.deviceId ?? '?'} ${String(d['to'])}${errorOf(d)}`;
    case 'gate':
      return `${wave}gate ${gateEvent(d)}`;
    case 'assign-failed':
      return `${wave}${e.deviceId ?? '?'} could not be notified: ${String(d['code'])}`;
    case 'rollback-requested':
      return `rollback of ${String(d['devices'])} devices requested${reasonOf(d)}`;
    case 'rollback-assigned':
      return `${wave}${e.deviceId ?? '?'} sent back to ${rollbackTarget(d['target'])}`;
    case 'rollback-state':
      return `${wave}${e.deviceId ?? '?'} rollback to ${String(d['version'])}: ${String(d['to'])}`;
    default:
      return `${wave}${e.deviceId === null ? '' : `${e.deviceId} `}${e.type}`;
  }
}

function gateEvent(d: Record<string, unknown>): string {
  const gate = String(d['gate']);
  const value = typeof d['value'] === 'number' ? gateValue(gate, d['value']) : null;
  switch (d['status']) {
    case 'pass':
      return `${gate} passes at ${value ?? '-'}`;
    case 'fail':
      return `${gate} FAILS at ${value ?? '-'}`;
    default:
      return `${gate} has no data yet`;
  }
}

function rollbackTarget(target: unknown): string {
  if (typeof target !== 'object' || target === null) return 'no model (removed)';
  const t = target as Record<string, unknown>;
  return `${String(t['name'])}@${String(t['version'])}`;
}

/** `12:04:31  wave 1 press-07 healthy` */
export function eventLine(e: RolloutEventView): string {
  return `${clock(e.ts)}  ${eventText(e)}`;
}

/**
 * Events worth a line in a log: every decision, and a device only when it fails. Routine device
 * progress is summed up by {@link progressLine} instead (a 1,000-device wave would flood a log).
 */
export function isNotable(e: RolloutEventView): boolean {
  if (e.type !== 'device-state')
    return e.type !== 'rollback-assigned' && e.type !== 'rollback-state';
  return ['failed', 'timed-out'].includes(String(e.data['to']));
}

/**
 * `wave 2 running: 10 devices, 7 healthy, 1 failed, 2 updating`: what changes as devices
 * report (the soak clock and gate values are left out so the line is printed only on progress).
 */
export function progressLine(view: RolloutProgressView): string {
  const w = view.waves[view.rollout.currentWave];
  if (w === undefined) return `rollout ${view.rollout.state}`;
  const c = w.counts;
  const parts = [
    ['pending', c.pending],
    ['updating', c.notified + c.downloading + c.verified],
    ['installed', c.installed],
    ['healthy', c.healthy],
    ['failed', c.failed],
    ['timed out', c['timed-out']],
    ['rolled back', c['rolled-back']],
  ]
    .filter(([, n]) => (n as number) > 0)
    .map(([name, n]) => `${String(n)} ${String(name)}`);
  return `wave ${w.index + 1} ${w.state}: ${w.size} devices${parts.length > 0 ? `, ${parts.join(', ')}` : ''}`;
}
