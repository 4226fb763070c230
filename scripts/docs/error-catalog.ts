import { AGENT_ERROR_CODES } from '@edgefleet/agent';
import { CLI_ERROR_CODES } from '@edgefleet/cli';
import { COMPILER_ERROR_CODES } from '@edgefleet/compiler';
import { HUB_ERROR_CODES } from '@edgefleet/hub';
import { PROTOCOL_ERROR_CODES } from '@edgefleet/protocol';
import { RUNTIME_ERROR_CODES } from '@edgefleet/runtime';

/** Every package's error catalog, in the order docs/errors.md lists them. */
export const ERROR_CATALOGS: ReadonlyArray<{
  readonly pkg: string;
  readonly about: string;
  readonly codes: Readonly<Record<string, string>>;
}> = [
  {
    pkg: 'protocol',
    about:
      'Documents and messages that cross a process boundary: schemas, signatures, keys, topics.',
    codes: PROTOCOL_ERROR_CODES,
  },
  {
    pkg: 'runtime',
    about: 'Reading bundles from disk and running models (shared by the compiler and the agent).',
    codes: RUNTIME_ERROR_CODES,
  },
  {
    pkg: 'compiler',
    about: 'Loading, quantizing, validating and bundling models.',
    codes: COMPILER_ERROR_CODES,
  },
  { pkg: 'hub', about: 'Releases, devices, rollouts, telemetry ingest.', codes: HUB_ERROR_CODES },
  {
    pkg: 'agent',
    about: 'Installing bundles, inference, outbox, health and drift on the device.',
    codes: AGENT_ERROR_CODES,
  },
  { pkg: 'cli', about: 'The `edgefleet` command line itself.', codes: CLI_ERROR_CODES },
];

/** docs/errors.md, generated from the catalogs so that the two never disagree. */
export function renderErrorsMarkdown(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error that edgefleet raises on bad input carries a stable code `EF_<AREA>_<WHAT>`, a message',
    'that says what was wrong and where, and (in `--json` output and API responses) structured',
    '`details`. Scripts should match on the code, never on the message.',
    '',
    "This file is generated from the packages' error catalogs (`*_ERROR_CODES` in each",
    "package's `errors.ts`) by `npm run docs:errors`; a test fails when the two disagree.",
    '',
  ];
  for (const catalog of ERROR_CATALOGS) {
    lines.push(`## ${catalog.pkg}`, '', catalog.about, '');
    const entries = Object.entries(catalog.codes).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) lines.push('(no codes yet)', '');
    else {
      lines.push('| code | meaning |', '| --- | --- |');
      for (const [code, meaning] of entries)
        lines.push(`| \`${code}\` | ${meaning.replaceAll('|', '\\|')} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}
