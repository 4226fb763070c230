import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PreprocessError } from '@edgefleet/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobRunner, type JobSpec, startJobs } from '../../src/jobs/index.js';
import { fakeModel, poll, recordingLogger, sinkLines } from './job-fixtures.js';

// Never fires during a test (1 January, midnight): runs are triggered with runOnce.
const NEVER = '0 0 1 1 *';

let dir: string;
let csv: string;
let out: string;
let runners: JobRunner[] = [];

function job(extra: Partial<JobSpec> = {}): JobSpec {
  return {
    name: 'pm-log',
    schedule: NEVER,
    model: 'pm',
    source: { kind: 'csv', path: csv },
    sink: { kind: 'jsonl', path: out },
    ...extra,
  };
}

function start(
  predict = fakeModel().predict,
  options: { features?: (model: string) => readonly string[] | undefined; batchSize?: number } = {},
  jobs: JobSpec[] = [job()],
): JobRunner {
  const runner = startJobs(jobs, predict, {
    stateDir: join(dir, 'state'),
    logger: recordingLogger(),
    now: () => Date.parse('2025-06-01T08:00:00Z'),
    ...options,
  });
  runners.push(runner);
  return runner;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ef-jobs-'));
  csv = join(dir, 'sensor.csv');
  out = join(dir, 'out', 'predictions.jsonl');
});
afterEach(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  runners = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('a CSV job', () => {
  it('predicts only the rows appended since the last run', async () => {
    const model = fakeModel('1.2.0');
    const runner = start(model.predict);
    writeFileSync(csv, 'a,b\n1,2\n3,4\n');
    expect(await runner.runOnce('pm-log')).toEqual({
      job: 'pm-log',
      predicted: 2,
      rejected: 0,
      malformed: 0,
    });
    appendFileSync(csv, '5,6\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 0 });
    expect(model.requests.map((r) => r.instances)).toEqual([
      [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
      [{ a: 5, b: 6 }],
    ]);
    expect(sinkLines(out)).toEqual([
      {
        ts: '2025-06-01T08:00:00.000Z',
        job: 'pm-log',
        model: 'pm',
        version: '1.2.0',
        row: 0,
        prediction: { sum: 3 },
      },
      {
        ts: '2025-06-01T08:00:00.000Z',
        job: 'pm-log',
        model: 'pm',
        version: '1.2.0',
        row: 1,
        prediction: { sum: 7 },
      },
      {
        ts: '2025-06-01T08:00:00.000Z',
        job: 'pm-log',
        model: 'pm',
        version: '1.2.0',
        row: 2,
        prediction: { sum: 11 },
      },
    ]);
  });

  it('keeps its position across restarts', async () => {
    writeFileSync(csv, 'a,b\n1,2\n');
    await start().runOnce('pm-log');
    await runners.pop()?.stop();
    appendFileSync(csv, '3,4\n');
    const model = fakeModel();
    expect(await start(model.predict).runOnce('pm-log')).toMatchObject({ predicted: 1 });
    expect(model.requests[0]?.instances).toEqual([{ a: 3, b: 4 }]);
    expect(sinkLines(out).map((l) => l['row'])).toEqual([0, 1]);
  });

  it('does not consume a partial last line until it is complete', async () => {
    const model = fakeModel();
    const runner = start(model.predict);
    writeFileSync(csv, 'a,b\n1,2\n3,');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
    appendFileSync(csv, '4');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 0 });
    appendFileSync(csv, '\r\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
    expect(model.requests.map((r) => r.instances)).toEqual([[{ a: 1, b: 2 }], [{ a: 3, b: 4 }]]);
  });

  it('waits for a header that is not complete yet, and for a file that does not exist', async () => {
    const runner = start();
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 0 });
    writeFileSync(csv, 'a,');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 0 });
    appendFileSync(csv, 'b\n7,8\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
  });

  it('counts and skips malformed rows; an empty cell is a missing value', async () => {
    const model = fakeModel();
    const runner = start(model.predict);
    writeFileSync(
      csv,
      [
        'a,b',
        '1,2',
        '1,2,3',
        'x,4',
        '',
        '"5",6',
        '"7,8',
        '0x10,1',
        ',9',
        'NaN,1',
        '1e999,1',
        '10,11',
        '',
      ].join('\n'),
    );
    expect(await runner.runOnce('pm-log')).toEqual({
      job: 'pm-log',
      predicted: 4,
      rejected: 0,
      malformed: 6,
    });
    expect(model.requests[0]?.instances).toEqual([
      { a: 1, b: 2 },
      { a: 5, b: 6 },
      { a: null, b: 9 },
      { a: 10, b: 11 },
    ]);
    // Row indexes count non-blank data lines, malformed ones too.
    expect(sinkLines(out).map((l) => l['row'])).toEqual([0, 3, 6, 9]);
    expect(runner.status('pm-log')).toMatchObject({ runs: 1, predicted: 4, malformed: 6 });
  });

  it('maps the header to the model features and refuses a header that lacks one', async () => {
    const model = fakeModel();
    const features = ['torque', 'temp'];
    const runner = start(model.predict, { features: () => features });
    writeFileSync(csv, 'time,temp,torque,label\n08:00,300.5,40,0\n08:01,301,bad,0\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1, malformed: 1 });
    expect(model.requests[0]?.instances).toEqual([{ torque: 40, temp: 300.5 }]);

    features.push('rpm');
    appendFileSync(csv, '08:02,302,41,0\n');
    await expect(runner.runOnce('pm-log')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_HEADER' });
    expect(runner.status('pm-log')).toMatchObject({
      failures: 1,
      lastRun: { error: { code: 'EF_AGENT_JOB_HEADER' } },
    });
    features.pop();
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
  });

  it('leaves rows unconsumed when prediction fails, and predicts them next run', async () => {
    const model = fakeModel();
    const runner = start(model.predict, { batchSize: 2 });
    writeFileSync(csv, 'a\n1\n2\n3\n');
    model.fail = new Error('workers restarting');
    await expect(runner.runOnce('pm-log')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_PREDICT' });
    model.fail = undefined;
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 3 });
    expect(sinkLines(out).map((l) => l['row'])).toEqual([0, 1, 2]);
  });

  it('isolates rows the model refuses and writes an error line for each', async () => {
    const model = fakeModel();
    const predict: typeof model.predict = async (name, request) => {
      if (request.instances.some((r) => (r['a'] ?? 0) > 1e38)) {
        throw new PreprocessError('EF_RUNTIME_INPUT_NAN', 'a value overflows float32');
      }
      return model.predict(name, request);
    };
    const runner = start(predict);
    writeFileSync(csv, 'a\n1\n1e39\n2\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 2, rejected: 1 });
    expect(sinkLines(out)).toMatchObject([
      { row: 0, prediction: { sum: 1 } },
      { row: 1, error: { code: 'EF_RUNTIME_INPUT_NAN' } },
      { row: 2, prediction: { sum: 2 } },
    ]);
  });

  it('leaves rows unconsumed when the sink cannot be written', async () => {
    writeFileSync(join(dir, 'out'), 'a file where the sink folder should be');
    const runner = start();
    writeFileSync(csv, 'a\n1\n');
    await expect(runner.runOnce('pm-log')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_SINK' });
    rmSync(join(dir, 'out'));
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
  });

  it('reads a replaced or truncated file from the start', async () => {
    const runner = start();
    writeFileSync(csv, 'a\n1\n2\n');
    await runner.runOnce('pm-log');
    // Log rotation: a new file under the same name.
    writeFileSync(join(dir, 'next.csv'), 'a\n3\n');
    renameSync(join(dir, 'next.csv'), csv);
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
    // copytruncate rotation: truncated and written again past the old offset before a run.
    writeFileSync(csv, 'a\n');
    appendFileSync(csv, '4\n5\n');
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 2 });
    expect(sinkLines(out).map((l) => [l['row'], l['prediction']])).toEqual([
      [0, { sum: 1 }],
      [1, { sum: 2 }],
      [0, { sum: 3 }],
      [0, { sum: 4 }],
      [1, { sum: 5 }],
    ]);
  });

  it('starts over from a damaged state file with a warning', async () => {
    writeFileSync(csv, 'a\n1\n');
    await start().runOnce('pm-log');
    await runners.pop()?.stop();
    writeFileSync(join(dir, 'state', 'jobs', 'pm-log.json'), '{broken');
    const logger = recordingLogger();
    const runner = startJobs([job()], fakeModel().predict, {
      stateDir: join(dir, 'state'),
      logger,
    });
    runners.push(runner);
    expect(await runner.runOnce('pm-log')).toMatchObject({ predicted: 1 });
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('runs on its cron schedule', async () => {
    writeFileSync(csv, 'a\n1\n');
    const runner = start(fakeModel().predict, {}, [job({ schedule: '* * * * * *' })]);
    await poll(() => sinkLines(out).length === 1, 10_000, 'a scheduled run');
    expect(runner.status('pm-log').nextRun).toMatch(/^\d{4}-/);
  });

  it('refuses unknown jobs and runs after stop with coded errors', async () => {
    const runner = start();
    await expect(runner.runOnce('nope')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_UNKNOWN' });
    await runner.stop();
    await expect(runner.runOnce('pm-log')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_STOPPED' });
  });
});
