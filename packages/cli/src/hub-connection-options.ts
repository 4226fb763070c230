/**
 * `--hub`, `--token` and `--token-file`, shared by every command that talks to a hub, and how
 * they resolve: flags first, then EDGEFLEET_HUB / EDGEFLEET_TOKEN, then the token a hub started
 * in this directory wrote (`./.edgefleet/hub/operator.token`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext, OptionSpec } from './command.js';
import { CliError } from './errors.js';
import { readInputText } from './file-io.js';
import { HubClient } from './hub-client.js';
import { HubClientError } from './hub-client-errors.js';
import { optionalString } from './option-values.js';

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8080';
/** The data directory `edgefleet hub start` uses by default, relative to where it runs. */
export const DEFAULT_HUB_DATA_DIR = '.edgefleet/hub';

export const HUB_CONNECTION_OPTIONS = {
  hub: {
    type: 'string',
    valueName: 'url',
    description: 'The hub HTTP API; or set EDGEFLEET_HUB',
    defaultText: DEFAULT_HUB_URL,
  },
  token: {
    type: 'string',
    valueName: 'token',
    description: 'Operator token; or set EDGEFLEET_TOKEN',
  },
  'token-file': {
    type: 'string',
    valueName: 'file',
    description: 'Read the operator token from a file (the hub writes <data>/operator.token)',
  },
} as const satisfies Record<string, OptionSpec>;

/** Help text lines that explain the connection, for commands' descriptions. */
export const HUB_CONNECTION_HELP = [
  `The hub is --hub, else EDGEFLEET_HUB, else ${DEFAULT_HUB_URL}. The operator token is --token,`,
  `--token-file, else EDGEFLEET_TOKEN, else ./${DEFAULT_HUB_DATA_DIR}/operator.token for a hub on this machine.`,
].join('\n');

function hubUrl(ctx: CommandContext): URL {
  const text = optionalString(ctx, 'hub') ?? ctx.io.env['EDGEFLEET_HUB'] ?? DEFAULT_HUB_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HubClientError(
      'EF_CLI_HUB_URL',
      `'${text}' is not a URL; expected e.g. ${DEFAULT_HUB_URL}`,
      {
        url: text,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubClientError(
      'EF_CLI_HUB_URL',
      `'${text}' is not an http(s) URL; the hub's HTTP API is e.g. ${DEFAULT_HUB_URL} (not its mqtt:// broker)`,
      { url: text },
    );
  }
  return url;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
}

async function operatorToken(
  ctx: CommandContext,
  url: URL,
): Promise<{ token: string; source: string }> {
  const flag = optionalString(ctx, 'token');
  const file = optionalString(ctx, 'token-file');
  if (flag !== undefined && file !== undefined) {
    throw new CliError('EF_CLI_USAGE', 'give --token or --token-file, not both');
  }
  if (flag !== undefined) return { token: flag.trim(), source: '--token' };
  if (file !== undefined) {
    const path = resolve(ctx.io.cwd, file);
    return { token: (await readInputText(path, 'operator token file')).trim(), source: path };
  }
  const env = ctx.io.env['EDGEFLEET_TOKEN'];
  if (env !== undefined && env.trim() !== '')
    return { token: env.trim(), source: 'EDGEFLEET_TOKEN' };
  // The local hub's token is only ever sent to a local hub, never to a remote one.
  const local = resolve(ctx.io.cwd, DEFAULT_HUB_DATA_DIR, 'operator.token');
  try {
    if (isLoopback(url)) return { token: (await readFile(local, 'utf8')).trim(), source: local };
  } catch {
    // No local hub here: fall through to the error.
  }
  throw new HubClientError(
    'EF_CLI_HUB_TOKEN_MISSING',
    'no operator token: pass --token <token> or --token-file <data>/operator.token, or set EDGEFLEET_TOKEN (the hub writes the token to <data>/operator.token on first start)',
  );
}

/**
 * A client for the hub named by the command line and environment.
 *
 * @example
 * const hub = await connectHub(ctx);
 * const devices = await hub.getJson<DeviceView[]>('/v1/devices');
 */
export async function connectHub(ctx: CommandContext): Promise<HubClient> {
  const url = hubUrl(ctx);
  const { token, source } = await operatorToken(ctx, url);
  if (token === '') {
    throw new HubClientError(
      'EF_CLI_HUB_TOKEN_MISSING',
      `the operator token from ${source} is empty`,
    );
  }
  return new HubClient(url, token, source);
}
