// `npm run bench [-- --only <id,...>]`: runs the benchmark suites and writes their sections of
// docs/benchmarks.md, each with the machine it ran on. Sections of suites not run are kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentSuite } from './agent.bench.js';
import { compilerSuite } from './compiler.bench.js';
import { describeMachine } from './machine.js';
import { hubSuite } from './hub.bench.js';
import { protocolSuite } from './protocol.bench.js';
import { rolloutSuite } from './rollout.bench.js';
import type { BenchSuite } from './suite.js';

const SUITES: readonly BenchSuite[] = [
  protocolSuite,
  compilerSuite,
  agentSuite,
  rolloutSuite,
  hubSuite,
];
const target = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

const HEADER = `# Benchmarks

Written by \`npm run bench\` (\`npm run bench -- --only <suite>\` reruns one section). Speed and
memory are measured here, never asserted in tests. Each section names the machine and the date it
was measured on; numbers from a loaded 2-core machine vary by ±10-20% between runs.
`;

function section(id: string, body: string): string {
  return `<!-- bench:${id}:start -->\n${body.trim()}\n<!-- bench:${id}:end -->`;
}

function replaceSection(doc: string, id: string, body: string): string {
  const re = new RegExp(`<!-- bench:${id}:start -->[\\s\\S]*?<!-- bench:${id}:end -->`);
  return re.test(doc)
    ? doc.replace(re, section(id, body))
    : `${doc.trimEnd()}\n\n${section(id, body)}\n`;
}

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(
    `unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.id).join(', ')}`,
  );
  process.exit(2);
}

let doc = existsSync(target) ? readFileSync(target, 'utf8') : HEADER;
const machine = describeMachine();
for (const suite of SUITES.filter((s) => only === undefined || only.includes(s.id))) {
  console.log(`# ${suite.title}`);
  const body = await suite.run((line) => console.log(`  ${line}`));
  const stamped = `## ${suite.title}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n${body.trim()}\n`;
  doc = replaceSection(doc, suite.id, stamped);
  writeFileSync(target, doc);
}
console.log(`wrote ${target}`);
