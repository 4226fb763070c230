/**
 * The simulator's fault knobs: `fail-install=10%,slow=5%,drift=site-2`. A share picks a
 * deterministic set of devices (ranked by a hash of the fault and the device id, so the same
 * fleet gets the same faulty devices on every run); a site picks all of its devices. A target
 * may end in `@<version>` to apply only to that model version (`fail-install=20%@2.0.0`: those
 * devices install 1.0.0 and refuse 2.0.0), which is how a rollout of a bad release is staged.
 */
import { createHash } from 'node:crypto';

import { SimError } from './sim-errors.js';

export const FAULT_KINDS = ['fail-install', 'slow', 'drift'] as const;

/**
 * - `fail-install`: every install fails at its prepare step with EF_CLI_SIM_INSTALL_FAULT;
 * - `slow`: every prediction takes the simulated extra latency (a slow device);
 * - `drift`: the device is fed the drifted sensor data.
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Matches every version in {@link DeviceFaults}. */
export const ANY_VERSION = '*';

/** One `kind=target[@version]` of the spec: a share of the fleet (0..1) or one site. */
export type FaultRule = { kind: FaultKind; version: string } & (
  { share: number } | { site: string }
);

/** A device's faults: per kind, the model versions it applies to ({@link ANY_VERSION}: all). */
export type DeviceFaults = ReadonlyMap<FaultKind, ReadonlySet<string>>;

function bad(message: string, spec: string): SimError {
  return new SimError(
    'EF_CLI_SIM_OPTIONS',
    `${message} in the fault spec '${spec}'; expected e.g. "fail-install=10%,slow=5%,drift=site-2"`,
    { spec },
  );
}

/**
 * Parses a fault spec; an empty spec has no faults.
 *
 * @throws SimError EF_CLI_SIM_OPTIONS naming the bad entry
 * @example
 * parseFaultSpec('fail-install=10%,drift=site-2@2.0.0');
 * // [{ kind: 'fail-install', version: '*', share: 0.1 },
 * //  { kind: 'drift', version: '2.0.0', site: 'site-2' }]
 */
export function parseFaultSpec(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const entry of spec.split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const kind = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    const value = eq < 0 ? '' : entry.slice(eq + 1).trim();
    const at = value.indexOf('@');
    const target = at < 0 ? value : value.slice(0, at);
    const version = at < 0 ? ANY_VERSION : value.slice(at + 1);
    if (!/^[0-9A-Za-z.+-]{1,64}$/.test(version) && version !== ANY_VERSION) {
      throw bad(`'${entry}' has a bad version after @`, spec);
    }
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw bad(`unknown fault '${kind}' (known: ${FAULT_KINDS.join(', ')})`, spec);
    }
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(target);
    if (percent !== null) {
      const share = Number(percent[1]) / 100;
      if (share > 1) throw bad(`'${entry}' is over 100%`, spec);
      rules.push({ kind: kind as FaultKind, version, share });
    } else if (/^site-\d+$/.test(target)) {
      rules.push({ kind: kind as FaultKind, version, site: target });
    } else {
      throw bad(`'${entry}' needs a share (10%) or a site (site-2), optionally @<version>`, spec);
    }
  }
  return rules;
}

function rank(kind: string, id: string): string {
  return createHash('sha256').update(`${kind}\0${id}`).digest('hex');
}

/**
 * The faults of each device. A share takes round(share x fleet size) devices, the ones whose
 * hash of (fault, id) ranks first.
 *
 * @throws SimError EF_CLI_SIM_OPTIONS for a site the fleet does not have
 * @example
 * assignFaults(devices, parseFaultSpec('slow=20%')).get('sim-1-0003'); // Set { 'slow' } or undefined
 */
export function assignFaults(
  devices: readonly { id: string; site: string }[],
  rules: readonly FaultRule[],
): Map<string, DeviceFaults> {
  const faults = new Map<string, Map<FaultKind, Set<string>>>();
  const mark = (id: string, kind: FaultKind, version: string) => {
    const kinds = faults.get(id) ?? new Map<FaultKind, Set<string>>();
    const versions = kinds.get(kind) ?? new Set<string>();
    versions.add(version);
    kinds.set(kind, versions);
    faults.set(id, kinds);
  };
  for (const rule of rules) {
    if ('site' in rule) {
      const inSite = devices.filter((d) => d.site === rule.site);
      if (inSite.length === 0) {
        throw new SimError(
          'EF_CLI_SIM_OPTIONS',
          `the fault ${rule.kind}=${rule.site} names a site the fleet does not have (sites are site-1..site-N)`,
          { site: rule.site },
        );
      }
      for (const d of inSite) mark(d.id, rule.kind, rule.version);
      continue;
    }
    const count = Math.round(rule.share * devices.length);
    const ranked = [...devices]
      .map((d) => ({ id: d.id, key: rank(rule.kind, d.id) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const d of ranked.slice(0, count)) mark(d.id, rule.kind, rule.version);
  }
  return faults;
}

/**
 * Whether a device has fault `kind` for model `version`.
 *
 * @example
 * faultApplies(faults.get(id), 'fail-install', '2.0.0');
 */
export function faultApplies(
  faults: DeviceFaults | undefined,
  kind: FaultKind,
  version: string,
): boolean {
  const versions = faults?.get(kind);
  return versions !== undefined && (versions.has(ANY_VERSION) || versions.has(version));
}

/**
 * A device's faults as text, e.g. `['fail-install', 'slow@2.0.0']`.
 *
 * @example
 * describeFaults(faults.get(id)).join(', ');
 */
export function describeFaults(faults: DeviceFaults | undefined): string[] {
  if (faults === undefined) return [];
  return [...faults].flatMap(([kind, versions]) =>
    [...versions].map((v) => (v === ANY_VERSION ? kind : `${kind}@${v}`)),
  );
}
