/** `name@version` on the command line. */
import { CliError } from './errors.js';

/**
 * Splits `pm@1.0.0` at its first `@`; with `versionRequired` a bare name is a usage error.
 * Names and versions are checked by the hub, which names what is wrong.
 *
 * @example
 * parseReleaseRef('pm@1.2.0', true); // { name: 'pm', version: '1.2.0' }
 */
export function parseReleaseRef(
  text: string,
  versionRequired: boolean,
): { name: string; version: string | undefined } {
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? undefined : text.slice(at + 1);
  if (name === '' || version === '' || (versionRequired && version === undefined)) {
    throw new CliError(
      'EF_CLI_USAGE',
      `'${text}' is not ${versionRequired ? 'name@version' : 'name or name@version'} (e.g. pm@1.0.0)`,
    );
  }
  return { name, version };
}
