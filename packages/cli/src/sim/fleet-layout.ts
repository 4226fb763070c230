/** Which devices a simulated fleet has: ids, sites and tags. */

/** One simulated device as enrolled. */
export interface SimDevice {
  /** `<prefix>-<site number>-<device number, 4 digits>`, e.g. `sim-2-0007`. */
  id: string;
  /** `site-<k>`, also its `site` tag. */
  site: string;
  tags: Record<string, string>;
}

/**
 * `devices` devices spread round-robin over `sites` sites, tagged `site=site-<k>` and
 * `fleet=sim` (so `rollout create --select fleet=sim` or `site=site-2` finds them). The same
 * counts always give the same ids, so a second run re-uses the first run's enrolments; another
 * `prefix` gives another set of devices on the same hub.
 *
 * @example
 * fleetLayout(3, 2).map((d) => d.id); // ['sim-1-0001', 'sim-2-0002', 'sim-1-0003']
 */
export function fleetLayout(devices: number, sites: number, prefix = 'sim'): SimDevice[] {
  return Array.from({ length: devices }, (_, i) => {
    const k = (i % sites) + 1;
    const site = `site-${k}`;
    const id = `${prefix}-${k}-${String(i + 1).padStart(4, '0')}`;
    return { id, site, tags: { site, fleet: 'sim' } };
  });
}
