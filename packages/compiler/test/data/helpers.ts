import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TabularPreprocessSpec, TensorPreprocessSpec } from '@edgefleet/runtime';
import { expect } from 'vitest';

import { DataError } from '../../src/data/data-errors.js';

/** The committed fixtures (data sets and models) at the repository root. */
export const FIXTURES = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));
export const DATA = path.join(FIXTURES, 'data');
export const MODELS = path.join(FIXTURES, 'models');

export async function readTabularSpec(name: 'pm' | 'house'): Promise<TabularPreprocessSpec> {
  const text = await readFile(path.join(DATA, name, 'preprocess.json'), 'utf8');
  return JSON.parse(text) as TabularPreprocessSpec;
}

export const VIBRATION_SPEC: TensorPreprocessSpec = { kind: 'tensor', input: 'input' };

/** A fresh temporary folder; files are written relative to it. */
export class TempDir {
  private constructor(readonly root: string) {}

  static async create(): Promise<TempDir> {
    return new TempDir(await mkdtemp(path.join(tmpdir(), 'ef-data-')));
  }

  async write(relative: string, content: string | Uint8Array): Promise<string> {
    const file = path.join(this.root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    return file;
  }

  async mkdir(relative: string): Promise<string> {
    const dir = path.join(this.root, relative);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Where an error must point: its message must name each given part. */
export interface ExpectedLocation {
  file: string;
  line?: number;
  column?: number;
}

/**
 * Awaits a rejection and checks it is a DataError with `code` whose message names the file and,
 * where given, the line and column (and whose details carry them).
 */
export async function expectDataError(
  action: Promise<unknown> | (() => Promise<unknown>),
  code: string,
  where: ExpectedLocation,
): Promise<DataError> {
  const promise = typeof action === 'function' ? action() : action;
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  const dataError = err as DataError;
  expect(dataError.code).toBe(code);
  expect(dataError.message).toContain(where.file);
  if (where.line !== undefined) {
    expect(dataError.message).toContain(`line ${where.line}`);
    expect(dataError.details?.line).toBe(where.line);
  }
  if (where.column !== undefined) {
    expect(dataError.message).toContain(`column ${where.column}`);
    expect(dataError.details?.column).toBe(where.column);
  }
  return dataError;
}

/** A 1x1 PNG (a valid image the runtime can decode). */
export const TINY_PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
    'base64',
  ),
);
