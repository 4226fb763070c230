/**
 * The sensor rows simulated devices feed their models: the predictive-maintenance evaluation
 * set, or its drifted twin for devices with the `drift` fault.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { cellValue, splitCsvLine } from '@edgefleet/agent';

import { SimError } from './sim-errors.js';

/** One row as a prediction instance: feature name to value (null: missing, imputed). */
export type SensorRow = Readonly<Record<string, number | null>>;

/** The committed fixtures (repo root `fixtures/data/pm/`), found from this module. */
export const DEFAULT_SENSOR_DATA = {
  normal: fileURLToPath(new URL('../../../../fixtures/data/pm/eval.csv', import.meta.url)),
  drifted: fileURLToPath(new URL('../../../../fixtures/data/pm/eval-drifted.csv', import.meta.url)),
} as const;

// Columns that are answers, not inputs: a model is never fed them.
const LABEL_COLUMNS = new Set(['label', 'target', 'y']);

/**
 * Reads a headed numeric CSV into instances (label columns dropped); rows that are not numbers
 * are skipped.
 *
 * @throws SimError EF_CLI_SIM_DATA when the file cannot be read or has no usable row
 * @example
 * const rows = await loadSensorRows(DEFAULT_SENSOR_DATA.normal);
 * rows[0]; // { type_L: 0, type_M: 1, ..., tool_wear_min: 87 }
 */
export async function loadSensorRows(path: string): Promise<SensorRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SimError(
      'EF_CLI_SIM_DATA',
      `cannot read the sensor data ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '')?.map((h) => h.trim()) ?? [];
  const rows: SensorRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = splitCsvLine(line);
    if (cells === undefined || cells.length !== header.length) continue;
    const row: Record<string, number | null> = {};
    let ok = true;
    header.forEach((name, i) => {
      if (LABEL_COLUMNS.has(name)) return;
      const value = cellValue(cells[i]!);
      if (value === undefined) ok = false;
      else row[name] = value;
    });
    if (ok) rows.push(Object.freeze(row));
  }
  if (rows.length === 0) {
    throw new SimError('EF_CLI_SIM_DATA', `the sensor data ${path} has no numeric rows`, { path });
  }
  return rows;
}
