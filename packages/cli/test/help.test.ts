import { describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { COMMANDS } from '../src/registry.js';
import { recordingIO } from './cli-io.js';

describe('edgefleet --help', () => {
  it('lists every command', async () => {
    const io = recordingIO();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const cmd of COMMANDS) expect(io.out()).toContain(cmd.path.join(' '));
  });

  it('with no arguments prints the help and exits 0', async () => {
    const io = recordingIO();
    expect(await runCli([], io)).toBe(0);
    expect(io.out()).toContain('Usage: edgefleet <command>');
  });

  it('a group word lists only its commands', async () => {
    const io = recordingIO();
    expect(await runCli(['keys', '--help'], io)).toBe(0);
    expect(io.out()).toContain('keys generate');
    expect(io.out()).not.toMatch(/^\s+version\s/m);
  });

  it.each(COMMANDS.map((c) => [c.path.join(' '), c] as const))(
    '%s --help shows usage, options and an example',
    async (_name, cmd) => {
      const io = recordingIO();
      expect(await runCli([...cmd.path, '--help'], io)).toBe(0);
      expect(io.out()).toContain(`Usage: edgefleet ${cmd.path.join(' ')}`);
      expect(io.out()).toContain('--help');
      expect(io.out()).toContain('Examples:');
      for (const name of Object.keys(cmd.options)) expect(io.out()).toContain(`--${name}`);
    },
  );
});

describe('rejects bad command lines', () => {
  it('an unknown command: EF_CLI_USAGE, exit 2, help on stderr', async () => {
    const io = recordingIO();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.err()).toContain('EF_CLI_USAGE');
    expect(io.err()).toContain("unknown command 'frobnicate'");
  });

  it('an unknown option: EF_CLI_USAGE naming it', async () => {
    const io = recordingIO();
    expect(await runCli(['version', '--bogus'], io)).toBe(2);
    expect(io.err()).toMatch(/EF_CLI_USAGE.*--bogus/);
  });

  it('a stray positional argument', async () => {
    const io = recordingIO();
    expect(await runCli(['version', 'extra'], io)).toBe(2);
    expect(io.err()).toContain('EF_CLI_USAGE');
  });

  it('--json errors are a JSON document with the code', async () => {
    const io = recordingIO();
    expect(await runCli(['version', '--bogus', '--json'], io)).toBe(2);
    expect(JSON.parse(io.out())).toMatchObject({ ok: false, error: { code: 'EF_CLI_USAGE' } });
  });
});
