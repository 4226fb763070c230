import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellValue, parseJobSpecs, splitCsvLine } from '../../src/jobs/index.js';

const good = {
  name: 'hourly-pm',
  schedule: '0 * * * *',
  model: 'pm',
  source: { kind: 'csv', path: 'data/sensor.csv' },
  sink: { kind: 'jsonl', path: '/var/lib/edgefleet/pm.jsonl' },
};

function specError(input: unknown): { code: string; message: string } {
  try {
    parseJobSpecs(input);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('job definitions', () => {
  it('accepts a valid job and resolves relative paths against baseDir', () => {
    const [job] = parseJobSpecs([good], { baseDir: '/etc/edgefleet' });
    expect(job?.source).toEqual({ kind: 'csv', path: join('/etc/edgefleet', 'data/sensor.csv') });
    expect(job?.sink).toEqual({ kind: 'jsonl', path: '/var/lib/edgefleet/pm.jsonl' });
    const mqtt = {
      ...good,
      source: { kind: 'mqtt', url: 'mqtt://user:pw@127.0.0.1:1883', topic: 'plant/+/sensors/#' },
      sink: { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', topic: 'plant/results' },
    };
    expect(parseJobSpecs([mqtt])).toHaveLength(1);
  });

  it.each([
    ['a bad name', { name: 'Hourly PM' }, 'jobs.0.name'],
    ['a bad cron expression', { schedule: '61 * * * *' }, 'jobs.0.schedule'],
    ['a bad model name', { model: 'PM!' }, 'jobs.0.model'],
    ['an unknown source kind', { source: { kind: 'http', path: 'x' } }, 'jobs.0.source'],
    [
      'a non-MQTT URL',
      { source: { kind: 'mqtt', url: 'http://x', topic: 't' } },
      'jobs.0.source.url',
    ],
    [
      'a bad topic filter',
      { source: { kind: 'mqtt', url: 'mqtt://x', topic: 'a/#/b' } },
      'jobs.0.source.topic',
    ],
    [
      'a wildcard sink topic',
      { sink: { kind: 'mqtt', url: 'mqtt://x', topic: 'out/+' } },
      'jobs.0.sink.topic',
    ],
    ['an unknown field', { retries: 3 }, 'jobs.0'],
  ])('refuses %s with EF_AGENT_JOB_SPEC naming the field', (_what, change, path) => {
    const err = specError([{ ...good, ...change }]);
    expect(err.code).toBe('EF_AGENT_JOB_SPEC');
    expect(err.message).toContain(path);
  });

  it('refuses duplicate names, a sink that is its own source, and a non-array', () => {
    expect(specError([good, good]).code).toBe('EF_AGENT_JOB_SPEC');
    expect(
      specError([{ ...good, sink: { kind: 'jsonl', path: 'data/sensor.csv' } }]).message,
    ).toContain('own source');
    expect(specError({ jobs: [] }).code).toBe('EF_AGENT_JOB_SPEC');
  });
});

describe('CSV cells', () => {
  it('splits quoted cells and refuses broken quoting', () => {
    expect(splitCsvLine('1,"a ""b""",3')).toEqual(['1', 'a "b"', '3']);
    expect(splitCsvLine('')).toEqual(['']);
    expect(splitCsvLine('1,')).toEqual(['1', '']);
    expect(splitCsvLine('"1",')).toEqual(['1', '']);
    expect(splitCsvLine('1,"open')).toBeUndefined();
    expect(splitCsvLine('"a"b,1')).toBeUndefined();
  });

  it('reads decimal numbers only; empty is missing', () => {
    expect(cellValue(' 301.5 ')).toBe(301.5);
    expect(cellValue('-1e3')).toBe(-1000);
    expect(cellValue('.5')).toBe(0.5);
    expect(cellValue('')).toBeNull();
    for (const bad of ['n/a', '0x10', 'NaN', 'Infinity', '1e999', '1,5'])
      expect(cellValue(bad), bad).toBeUndefined();
  });
});
