import { describe, expect, it } from 'vitest';
import type { RunningHub } from '@edgefleet/hub';
import type { CommandContext } from '../src/command.js';
import { runHubStart } from '../src/commands/hub-start.js';
import type { HubStartDeps } from '../src/commands/hub-start.js';
import { runMosquittoConfig } from '../src/commands/hub-mosquitto-config.js';
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';

type Values = CommandContext['values'];

function context(values: Values, json = false) {
  const io = { ...recordingIO('/work/site'), env: { EDGEFLEET_BROKER_PASSWORD: 'from-env' } };
  const ctx: CommandContext = { values, positionals: [], io, json };
  return { ctx, io };
}

/** A fake startHub that records its options and whether the hub was closed. */
function fakeDeps(created: { token: boolean; keys: boolean }) {
  const seen: { options?: unknown; closed: boolean } = { closed: false };
  let stop: (signal: string) => void = () => undefined;
  const deps: HubStartDeps = {
    async startHub(options) {
      seen.options = options;
      return {
        api: {} as never,
        httpUrl: 'http://127.0.0.1:8080',
        brokerUrl: 'mqtt://127.0.0.1:1883',
        publicBrokerUrl: 'mqtt://hub.lan:1883',
        dataDir: options.dataDir,
        ...(created.token ? { operatorToken: 'secret-token' } : {}),
        operatorTokenPath: `${options.dataDir}/operator.token`,
        ...(created.keys ? { keysDir: `${options.dataDir}/keys` } : {}),
        async close() {
          seen.closed = true;
        },
      } as unknown as RunningHub;
    },
    stopSignal: () => new Promise((done) => (stop = done)),
  };
  return { deps, seen, stop: (signal: string) => stop(signal) };
}

describe('hub start', () => {
  it('starts with defaults, says where everything is, and closes on the signal', async () => {
    const { ctx, io } = context({});
    const fake = fakeDeps({ token: true, keys: true });
    const running = runHubStart(ctx, fake.deps);
    await expect.poll(() => io.out()).toContain('press Ctrl-C to stop');
    expect(fake.seen.options).toEqual({ dataDir: '/work/site/.edgefleet/hub' });
    expect(io.out()).toContain('http API        http://127.0.0.1:8080');
    expect(io.out()).toContain('devices use     mqtt://hub.lan:1883 (written into device.json)');
    expect(io.out()).toContain('/work/site/.edgefleet/hub/operator.token (created now, mode 0600)');
    expect(io.out()).toContain('root.key signs keyrings and belongs offline');
    expect(io.out()).not.toContain('secret-token');
    expect(fake.seen.closed).toBe(false);
    fake.stop('SIGTERM');
    expect(await running).toBe(0);
    expect(fake.seen.closed).toBe(true);
    expect(io.err()).toContain('SIGTERM: stopping the hub');
  });

  it('passes every option through; --json prints one document', async () => {
    const { ctx, io } = context(
      {
        data: 'hubdata',
        host: '0.0.0.0',
        'http-port': '9090',
        broker: 'mqtt://mosquitto:1883',
        'broker-username': 'hub',
        'public-broker-url': 'mqtts://hub.example:8883',
        'public-http-url': 'https://hub.example',
        keyring: 'keys/keyring.json',
        'deploy-key': 'keys/deploy.key',
        'log-level': 'silent',
      },
      true,
    );
    const fake = fakeDeps({ token: false, keys: false });
    const running = runHubStart(ctx, fake.deps);
    await expect.poll(() => io.out()).toContain('"ok": true');
    fake.stop('SIGINT');
    await running;
    expect(fake.seen.options).toEqual({
      dataDir: '/work/site/hubdata',
      host: '0.0.0.0',
      httpPort: 9090,
      brokerUrl: 'mqtt://mosquitto:1883',
      brokerUsername: 'hub',
      brokerPassword: 'from-env',
      publicBrokerUrl: 'mqtts://hub.example:8883',
      publicHttpUrl: 'https://hub.example',
      keyringPath: '/work/site/keys/keyring.json',
      deployKeyPath: '/work/site/keys/deploy.key',
      logLevel: false,
    });
    expect(JSON.parse(io.out())).toEqual({
      ok: true,
      httpUrl: 'http://127.0.0.1:8080',
      brokerUrl: 'mqtt://127.0.0.1:1883',
      publicBrokerUrl: 'mqtt://hub.lan:1883',
      dataDir: '/work/site/hubdata',
      operatorTokenPath: '/work/site/hubdata/operator.token',
      operatorTokenCreated: false,
      keysDir: null,
    });
  });

  it.each([
    [{ 'http-port': '99999' }, '--http-port'],
    [{ 'mqtt-port': 'abc' }, '--mqtt-port'],
    [{ broker: 'http://x:1883' }, '--broker'],
    [{ broker: 'mqtt://x:1883', 'mqtt-port': '1884' }, 'not both'],
    [{ 'broker-username': 'hub' }, '--broker-username needs --broker'],
    [{ 'log-level': 'loud' }, '--log-level'],
  ])('%j is a usage error naming %s, and nothing starts', async (values, text) => {
    const { ctx } = context(values);
    const fake = fakeDeps({ token: false, keys: false });
    await expect(runHubStart(ctx, fake.deps)).rejects.toMatchObject({
      code: 'EF_CLI_USAGE',
      message: expect.stringContaining(text),
    });
    expect(fake.seen.options).toBeUndefined();
  });

  it('an option error through runCli is exit 2 with the usage message', async () => {
    const io = recordingIO();
    // Through runCli with the real startHub is covered by the hub's end-to-end test; here the
    // option error path shows the exit code and message format.
    expect(await runCli(['hub', 'start', '--http-port', 'x'], io)).toBe(2);
    expect(io.err()).toContain('error EF_CLI_USAGE: --http-port must be a port');
  });
});

describe('hub mosquitto-config', () => {
  it('calls the generator with absolute dirs and prints files and notes', async () => {
    const { ctx, io } = context({ out: 'mosq' });
    let seen: unknown;
    await runMosquittoConfig(ctx, async (options) => {
      seen = options;
      return {
        files: ['/work/site/mosq/password_file', '/work/site/mosq/acl_file'],
        notes: ['reload Mosquitto with SIGHUP after enrolling devices'],
      };
    });
    expect(seen).toEqual({ dataDir: '/work/site/.edgefleet/hub', outDir: '/work/site/mosq' });
    expect(io.out()).toContain('  /work/site/mosq/acl_file');
    expect(io.out()).toContain('reload Mosquitto with SIGHUP');
  });

  it('--json prints the files and notes; --out is required', async () => {
    const { ctx, io } = context({ out: '/etc/mosq', data: '/var/lib/ef' }, true);
    await runMosquittoConfig(ctx, async () => ({ files: ['/etc/mosq/a'], notes: ['n'] }));
    expect(JSON.parse(io.out())).toEqual({
      ok: true,
      outDir: '/etc/mosq',
      dataDir: '/var/lib/ef',
      files: ['/etc/mosq/a'],
      notes: ['n'],
    });
    const io2 = recordingIO();
    expect(await runCli(['hub', 'mosquitto-config'], io2)).toBe(2);
    expect(io2.err()).toContain('--out is required');
  });
});
