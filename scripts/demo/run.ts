// `npm run demo`: the README's main job. Today it walks through what is built: the trust
// model (keys, keyring, signed desired state, the attacks a device refuses, root rotation) and
// device-side inference on the committed fixture model. The fleet rollout joins it later.
import { mkdir, rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localInference } from './local-inference.js';
import { Narrator } from './narrate.js';
import { trustWalkthrough } from './trust-walkthrough.js';

// Relative, so the commands the demo prints can be pasted as they are.
const work =
  relative(process.cwd(), fileURLToPath(new URL('../../.edgefleet/demo', import.meta.url))) || '.';
const n = new Narrator();
console.log('edgefleet demo: trust model and device-side inference');
console.log(`working directory: ${work}`);
await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });

await trustWalkthrough(n, work, 'ab'.repeat(32));
await localInference(n);

console.log(
  `\nSummary: ${n.failed === 0 ? 'every check came out right' : `${n.failed} check(s) FAILED`} in ${n.elapsedSeconds()} s.`,
);
process.exitCode = n.failed === 0 ? 0 : 1;
