import { runCli } from '@edgefleet/cli';
import type { Narrator } from './narrate.js';

/** Runs an `edgefleet` command in process, printing it as the demo's user would type it. */
export async function edgefleet(
  n: Narrator,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  n.command(`edgefleet ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
    env: process.env,
    cwd: process.cwd(),
  });
  return { code, out, err };
}

/** Like {@link edgefleet} with `--json`; a non-zero exit is a demo failure. */
export async function edgefleetJson(n: Narrator, args: string[]): Promise<unknown> {
  const r = await edgefleet(n, [...args, '--json']);
  if (r.code !== 0)
    throw new Error(`edgefleet ${args.join(' ')} exited ${r.code}: ${r.err.trim()}`);
  return JSON.parse(r.out);
}
