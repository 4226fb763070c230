/** `k=v,k2=v2` on the command line: device tags, selectors, tag changes. */
import { CliError } from './errors.js';

/**
 * Parses `k=v` pairs (each argument may hold several, comma-separated) into an object; a later
 * key wins. `allowEmpty` lets `k=` through (tag removal).
 *
 * @example
 * parseTagPairs(['site=plant-a,hw=rpi5'], '--tags'); // { site: 'plant-a', hw: 'rpi5' }
 */
export function parseTagPairs(
  args: readonly string[],
  what: string,
  allowEmpty = false,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.flatMap((a) => a.split(','))) {
    const text = pair.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    const key = eq < 0 ? '' : text.slice(0, eq).trim();
    const value = eq < 0 ? '' : text.slice(eq + 1).trim();
    if (eq <= 0 || key === '' || (!allowEmpty && value === '')) {
      throw new CliError(
        'EF_CLI_USAGE',
        `${what}: '${text}' is not key=value${allowEmpty ? ' (key= removes a tag)' : ''}; e.g. site=plant-a,hw=rpi5`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** `site=plant-a,hw=rpi5`, keys sorted; `-` for none. */
export function formatTags(tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags).sort();
  return keys.length === 0 ? '-' : keys.map((k) => `${k}=${tags[k] ?? ''}`).join(',');
}
