// `npm run demo`: the README's main job. Keys and keyring, compiling the fixture model into a
// signed bundle, verifying it, the trust model's refusals and root rotation, a device serving
// the bundle offline with drift windows; then the fleet: a hub, 48 simulated devices in 3 sites,
// v1 rolled out in waves, and a v2 that the devices' drift reports stop and roll back.
import { mkdir, rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileBundle } from './compile-bundle.js';
import { deviceInference } from './device-inference.js';
import { fleetRollout } from './fleet-rollout.js';
import { Narrator } from './narrate.js';
import { createKeys, trustWalkthrough } from './trust-walkthrough.js';

// Relative, so the commands the demo prints can be pasted as they are. EDGEFLEET_DEMO_DIR moves
// it (the test of the demo runs it in a temp dir).
const work =
  process.env['EDGEFLEET_DEMO_DIR'] ??
  (relative(process.cwd(), fileURLToPath(new URL('../../.edgefleet/demo', import.meta.url))) ||
    '.');
const n = new Narrator();
console.log(
  'edgefleet demo: keys, a signed model bundle, the trust model, a device offline, a fleet rollout',
);
console.log(`working directory: ${work}`);
await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });

await createKeys(n, work);
const bundle = await compileBundle(n, work);
await trustWalkthrough(n, work, bundle.sha256);
await deviceInference(n, work, bundle.path);
await fleetRollout(n, work, bundle.path);

console.log(
  `\nSummary: ${n.failed === 0 ? 'every check came out right' : `${n.failed} check(s) FAILED`} in ${n.elapsedSeconds()} s.`,
);
process.exitCode = n.failed === 0 ? 0 : 1;
