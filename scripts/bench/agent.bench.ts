/**
 * Suite `agent`: issue 6's figures for the device agent, each against its goal: predictions/s
 * through the local HTTP API, the model host's overhead against onnxruntime-node, idle RSS
 * with one model, cold start to the first prediction, outbox writes/s.
 */
import { loadavg } from 'node:os';

import { installBenchBundles } from './agent-bench-bundles.js';
import { renderAgentReport } from './agent-bench-report.js';
import { describeChildMode } from './agent-built-dist.js';
import { measureDaemon } from './agent-daemon-process.js';
import { evalRows, measureHttp, measureOverhead } from './agent-inference.bench.js';
import { measureFreshProcess } from './agent-inference-process.js';
import { measureOutboxWrites } from './agent-outbox.bench.js';
import type { BenchSuite } from './suite.js';

const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(0)}%`;

export const agentSuite: BenchSuite = {
  id: 'agent',
  title: 'Agent: local inference, memory, cold start and outbox',
  async run(log) {
    const loadAtStart = loadavg()[0]!;
    const bundles = await installBenchBundles();
    try {
      log('HTTP API, PM model (default host, then one worker)');
      const httpDefault = await measureHttp(bundles.pm);
      log(`  default: ${f0(httpDefault.predictionsPerSecond)} predictions/s`);
      const httpOne = await measureHttp(bundles.pm, { host: { workers: 1 } });
      log(`  1 worker: ${f0(httpOne.predictionsPerSecond)} predictions/s`);

      log('overhead against onnxruntime-node (PM, then pm-wide)');
      const overheadPm = await measureOverhead(bundles.pm);
      log(
        `  pm: saturation ${pct(overheadPm.overheadPct)}, latency ${pct(overheadPm.latencyOverheadPct)}`,
      );
      const overheadWide = await measureOverhead(bundles.pmWide);
      log(
        `  pm-wide: saturation ${pct(overheadWide.overheadPct)}, latency ${pct(overheadWide.latencyOverheadPct)}`,
      );

      log('inference alone in a fresh process (host + API, default workers, then 1)');
      const row = evalRows(8, 1)[0]!;
      const freshDefault = await measureFreshProcess(bundles.pm, row);
      const freshOne = await measureFreshProcess(bundles.pm, row, { host: { workers: 1 } });
      log(`  ${freshDefault.idleRssMb.toFixed(0)} MB / ${freshOne.idleRssMb.toFixed(0)} MB`);

      log('agent daemon (edgefleet agent start), offline restart: default workers, then 1');
      const daemon = await measureDaemon({ workers: [undefined, 1] });
      for (const r of daemon.runs) {
        log(
          `  workers ${r.workers ?? 'default'}: cold start ${f0(r.coldStartMs)} ms, idle ${r.idleRssMb.toFixed(0)} MB`,
        );
      }

      log('outbox writes');
      const outbox = await measureOutboxWrites();
      log(
        `  one by one ${f0(outbox.writesPerSecond)}/s (exclusive ${f0(outbox.exclusiveWritesPerSecond)}/s), batched ${f0(outbox.batchedWritesPerSecond)}/s`,
      );

      return renderAgentReport({
        httpDefault,
        httpOne,
        overheadPm,
        overheadWide,
        freshDefault,
        freshOne,
        daemon,
        daemonMode: describeChildMode(daemon.mode, ['protocol', 'runtime', 'agent', 'cli']),
        freshMode: describeChildMode(freshDefault.mode, ['protocol', 'runtime', 'agent']),
        outbox,
        load: { start: loadAtStart, end: loadavg()[0]! },
      });
    } finally {
      await bundles.close();
    }
  },
};
