/**
 * Jobs over a real local MQTT broker (aedes on port 0): a topic as the source, a topic as
 * the sink.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JobRunner, type JobSpec, startJobs } from '../../src/jobs/index.js';
import { fakeModel, poll, recordingLogger, sinkLines } from './job-fixtures.js';

let dir: string;
let broker: Aedes;
let server: Server;
let url: string;
const sockets = new Set<Socket>();
let runners: JobRunner[] = [];
let clients: MqttClient[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-jobs-mqtt-'));
  broker = await Aedes.createBroker();
  server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `mqtt://127.0.0.1:${address.port}`;
});

afterEach(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  runners = [];
  await Promise.all(clients.map((c) => c.endAsync(true)));
  clients = [];
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function client(): Promise<MqttClient> {
  const c = connect(url, { reconnectPeriod: 0, protocolVersion: 4 });
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

function mqttJob(sink: JobSpec['sink']): JobSpec {
  return {
    name: 'gateway',
    schedule: '0 0 1 1 *',
    model: 'pm',
    source: { kind: 'mqtt', url, topic: 'plant/line-1/+' },
    sink,
  };
}

describe('an MQTT job', () => {
  it('buffers rows between runs, counts malformed messages and drops the oldest past the cap', async () => {
    const out = join(dir, 'out.jsonl');
    const model = fakeModel();
    const runner = startJobs([mqttJob({ kind: 'jsonl', path: out })], model.predict, {
      stateDir: dir,
      logger: recordingLogger(),
      maxBufferedRows: 3,
      features: () => ['a', 'b'],
    });
    runners.push(runner);
    await poll(
      () => runner.status('gateway').source['subscribed'] === true,
      10_000,
      'subscription',
    );
    const publisher = await client();
    await publisher.publishAsync('plant/line-1/press', JSON.stringify({ a: 1, b: 2, extra: 'x' }), {
      qos: 1,
    });
    await publisher.publishAsync(
      'plant/line-1/press',
      JSON.stringify([{ a: 3 }, { a: 'bad', b: 1 }]),
      { qos: 1 },
    );
    await publisher.publishAsync('plant/line-1/press', 'not json', { qos: 1 });
    await publisher.publishAsync('plant/line-2/press', JSON.stringify({ a: 9, b: 9 }), { qos: 1 });
    await poll(
      () => runner.status('gateway').source['buffered'] === 3,
      10_000,
      'three buffered rows',
    );
    expect(await runner.runOnce('gateway')).toEqual({
      job: 'gateway',
      predicted: 2,
      rejected: 0,
      malformed: 2,
    });
    expect(model.requests[0]?.instances).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: null },
    ]);
    expect(sinkLines(out).map((l) => l['row'])).toEqual([0, 1]);

    // Past the cap of 3 rows, the oldest go.
    for (let i = 0; i < 5; i++) {
      await publisher.publishAsync('plant/line-1/press', JSON.stringify({ a: 10 + i, b: 0 }), {
        qos: 1,
      });
    }
    await poll(() => runner.status('gateway').source['dropped'] === 2, 10_000, 'two dropped rows');
    expect(await runner.runOnce('gateway')).toMatchObject({ predicted: 3 });
    expect(model.requests[1]?.instances.map((r) => r['a'])).toEqual([12, 13, 14]);
    expect(runner.status('gateway')).toMatchObject({
      predicted: 5,
      malformed: 2,
      source: { buffered: 0, dropped: 2 },
    });
  });

  it('keeps rows buffered when prediction fails', async () => {
    const model = fakeModel();
    const runner = startJobs(
      [mqttJob({ kind: 'jsonl', path: join(dir, 'out.jsonl') })],
      model.predict,
      {
        stateDir: dir,
        logger: recordingLogger(),
      },
    );
    runners.push(runner);
    await poll(
      () => runner.status('gateway').source['subscribed'] === true,
      10_000,
      'subscription',
    );
    const publisher = await client();
    await publisher.publishAsync('plant/line-1/a', JSON.stringify({ a: 1 }), { qos: 1 });
    await poll(() => runner.status('gateway').source['buffered'] === 1, 10_000, 'a buffered row');
    model.fail = new Error('no model yet');
    await expect(runner.runOnce('gateway')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_PREDICT' });
    expect(runner.status('gateway').source['buffered']).toBe(1);
    model.fail = undefined;
    expect(await runner.runOnce('gateway')).toMatchObject({ predicted: 1 });
  });

  it('publishes results to an MQTT sink, one QoS 1 message per row', async () => {
    const subscriber = await client();
    const received: Record<string, unknown>[] = [];
    subscriber.on('message', (_t, payload) =>
      received.push(JSON.parse(payload.toString()) as Record<string, unknown>),
    );
    await subscriber.subscribeAsync('results/pm', { qos: 1 });
    const runner = startJobs(
      [mqttJob({ kind: 'mqtt', url, topic: 'results/pm' })],
      fakeModel('2.0.0').predict,
      { stateDir: dir, logger: recordingLogger() },
    );
    runners.push(runner);
    await poll(
      () => runner.status('gateway').source['subscribed'] === true,
      10_000,
      'subscription',
    );
    const publisher = await client();
    await publisher.publishAsync('plant/line-1/a', JSON.stringify([{ a: 1 }, { a: 2 }]), {
      qos: 1,
    });
    await poll(() => runner.status('gateway').source['buffered'] === 2, 10_000, 'buffered rows');
    await poll(
      () => runner.status('gateway').sink['connected'] === true,
      10_000,
      'sink connection',
    );
    expect(await runner.runOnce('gateway')).toMatchObject({ predicted: 2 });
    await poll(() => received.length === 2, 10_000, 'results');
    expect(received).toMatchObject([
      { job: 'gateway', model: 'pm', version: '2.0.0', row: 0, prediction: { sum: 1 } },
      { job: 'gateway', model: 'pm', version: '2.0.0', row: 1, prediction: { sum: 2 } },
    ]);
  });

  it('refuses a sink that is not connected with a coded error and keeps the rows', async () => {
    const runner = startJobs(
      [mqttJob({ kind: 'mqtt', url: 'mqtt://127.0.0.1:1', topic: 'results/pm' })],
      fakeModel().predict,
      { stateDir: dir, logger: recordingLogger() },
    );
    runners.push(runner);
    await poll(
      () => runner.status('gateway').source['subscribed'] === true,
      10_000,
      'subscription',
    );
    const publisher = await client();
    await publisher.publishAsync('plant/line-1/a', JSON.stringify({ a: 1 }), { qos: 1 });
    await poll(() => runner.status('gateway').source['buffered'] === 1, 10_000, 'a buffered row');
    await expect(runner.runOnce('gateway')).rejects.toMatchObject({ code: 'EF_AGENT_JOB_SINK' });
    expect(runner.status('gateway').source['buffered']).toBe(1);
  });
});
