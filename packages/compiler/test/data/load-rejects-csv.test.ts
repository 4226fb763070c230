import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../../src/data/load-dataset.js';
import { TempDir, expectDataError } from './helpers.js';

const FEATURES = [
  { name: 'temp', mean: 20, std: 5 },
  { name: 'rpm', mean: 1000, std: 100 },
];
const IMPUTED = [
  { name: 'temp', impute: 20, mean: 20, std: 5 },
  { name: 'rpm', impute: 1000, mean: 1000, std: 100 },
];

let tmp: TempDir;
beforeAll(async () => {
  tmp = await TempDir.create();
});
afterAll(async () => {
  await tmp.remove();
});

const classification = { task: 'classification' } as const;

describe('rejects unreadable or unknown data', () => {
  it('a missing file (EF_COMPILE_DATA_NOT_FOUND)', async () => {
    const file = path.join(tmp.root, 'nope.csv');
    const err = await expectDataError(
      loadDataset(file, classification),
      'EF_COMPILE_DATA_NOT_FOUND',
      { file },
    );
    expect(err.message).toContain('does not exist');
  });

  it('an empty file (EF_COMPILE_DATA_EMPTY)', async () => {
    const file = await tmp.write('empty.csv', '');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_EMPTY', { file });
  });

  it('a CSV of blank lines only (EF_COMPILE_DATA_EMPTY)', async () => {
    const file = await tmp.write('blank.csv', '\n\r\n\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_EMPTY', { file });
  });

  it('a header-only CSV (EF_COMPILE_DATA_EMPTY)', async () => {
    const file = await tmp.write('header-only.csv', 'temp,rpm,label\n');
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_EMPTY', {
      file,
      line: 1,
    });
    expect(err.message).toContain('no data rows');
  });

  it('an empty JSONL file of blank lines (EF_COMPILE_DATA_EMPTY)', async () => {
    const file = await tmp.write('blank.jsonl', '\n\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_EMPTY', { file });
  });

  it('an unknown extension (EF_COMPILE_DATA_FORMAT)', async () => {
    const file = await tmp.write('data.xlsx', 'PK');
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_FORMAT', {
      file,
    });
    expect(err.message).toContain('.xlsx');
  });

  it('a file over the size cap (EF_COMPILE_DATA_TOO_LARGE)', async () => {
    const file = await tmp.write('big.csv', 'temp,rpm,label\n1,2,0\n');
    await expectDataError(
      loadDataset(file, { ...classification, maxBytes: 10 }),
      'EF_COMPILE_DATA_TOO_LARGE',
      { file },
    );
  });
});

describe('rejects CSV columns that do not fit', () => {
  it('a row with a wrong cell count (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = await tmp.write('ragged.csv', 'temp,rpm,label\n20,1000,0\n21,0\n');
    const err = await expectDataError(
      loadDataset(file, classification),
      'EF_COMPILE_DATA_COLUMNS',
      {
        file,
        line: 3,
      },
    );
    expect(err.message).toContain('2 cells, the header has 3 columns');
  });

  it('fewer feature columns than the preprocessing features (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = await tmp.write('few.csv', 'temp,label\n20,0\n');
    const err = await expectDataError(
      loadDataset(file, { ...classification, features: FEATURES }),
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: 1 },
    );
    expect(err.message).toContain('missing: rpm');
  });

  it('feature names that differ from the preprocessing features (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = await tmp.write('names.csv', 'temp,speed,label\n20,1000,0\n');
    const err = await expectDataError(
      loadDataset(file, { ...classification, features: FEATURES }),
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: 1 },
    );
    expect(err.message).toContain('missing: rpm');
    expect(err.message).toContain('unexpected: speed');
  });

  it('the right names in another order (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = await tmp.write('order.csv', 'rpm,temp,label\n1000,20,0\n');
    const err = await expectDataError(
      loadDataset(file, { ...classification, features: FEATURES }),
      'EF_COMPILE_DATA_COLUMNS',
      { file, line: 1 },
    );
    expect(err.message).toContain('different order');
  });

  it('a duplicate column name (EF_COMPILE_DATA_COLUMNS)', async () => {
    const file = await tmp.write('dup.csv', 'temp,temp,label\n1,2,0\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_COLUMNS', {
      file,
      line: 1,
      column: 2,
    });
  });

  it('a missing label column (EF_COMPILE_DATA_LABEL_MISSING)', async () => {
    const file = await tmp.write('nolabel.csv', 'temp,rpm,target\n20,1000,0\n');
    const err = await expectDataError(
      loadDataset(file, classification),
      'EF_COMPILE_DATA_LABEL_MISSING',
      {
        file,
        line: 1,
      },
    );
    expect(err.message).toContain('"label"');
    expect(err.message).toContain('--label');
  });
});

describe('rejects CSV values', () => {
  it('a non-numeric cell "abc" (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('abc.csv', 'temp,rpm,label\n20,1000,0\n21,abc,1\n');
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_VALUE', {
      file,
      line: 3,
      column: 2,
    });
    expect(err.message).toContain('(rpm)');
    expect(err.message).toContain('"abc" is not a number');
  });

  it('"NaN" in a feature the preprocessing does not impute (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('nan.csv', 'temp,rpm,label\n20,1000,0\nNaN,1000,1\n');
    const err = await expectDataError(
      loadDataset(file, { ...classification, features: FEATURES }),
      'EF_COMPILE_DATA_VALUE',
      { file, line: 3, column: 1 },
    );
    expect(err.message).toContain('no impute value for "temp"');
  });

  it('an empty cell in a feature the preprocessing does not impute (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('empty-cell.csv', 'temp,rpm,label\n20,,0\n');
    await expectDataError(
      loadDataset(file, { ...classification, features: FEATURES }),
      'EF_COMPILE_DATA_VALUE',
      { file, line: 2, column: 2 },
    );
  });

  it('"Infinity" (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('inf.csv', 'temp,rpm,label\n20,Infinity,0\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_VALUE', {
      file,
      line: 2,
      column: 2,
    });
  });

  it('an empty label (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('empty-label.csv', 'temp,rpm,label\n20,1000,\n');
    await expectDataError(
      loadDataset(file, { ...classification, features: IMPUTED }),
      'EF_COMPILE_DATA_VALUE',
      { file, line: 2, column: 3 },
    );
  });

  it('label -1 for classification (EF_COMPILE_DATA_LABEL)', async () => {
    const file = await tmp.write('neg.csv', 'temp,rpm,label\n20,1000,0\n20,1000,-1\n');
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_LABEL', {
      file,
      line: 3,
      column: 3,
    });
    expect(err.message).toContain('label -1 is not a class index');
  });

  it('label 2.5 for classification (EF_COMPILE_DATA_LABEL)', async () => {
    const file = await tmp.write('frac.csv', 'temp,rpm,label\n20,1000,2.5\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_LABEL', {
      file,
      line: 2,
      column: 3,
    });
  });

  it('a label beyond the model classes (EF_COMPILE_DATA_LABEL)', async () => {
    const file = await tmp.write('range.csv', 'temp,rpm,label\n20,1000,5\n');
    const err = await expectDataError(
      loadDataset(file, { ...classification, classCount: 5 }),
      'EF_COMPILE_DATA_LABEL',
      { file, line: 2, column: 3 },
    );
    expect(err.message).toContain('0 to 4');
  });

  it('an unterminated quote (EF_COMPILE_DATA_PARSE)', async () => {
    const file = await tmp.write('quote.csv', 'temp,rpm,label\n20,"1000,0\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_PARSE', {
      file,
      line: 2,
      column: 2,
    });
  });
});

describe('accepts CSV quoting (RFC 4180)', () => {
  it('reads quoted headers and cells with embedded commas, quotes, CRLF and a BOM', async () => {
    const text = '\ufeff"temp, °C","rpm\n(1/min)","label"\r\n"20.5",1000,0\r\n" 21 ",,"1"\r\n';
    const file = await tmp.write('quoted.csv', text);
    const data = await loadDataset(file, {
      task: 'classification',
      features: [{ name: 'temp, °C' }, { name: 'rpm\n(1/min)', impute: 1000 }],
    });
    expect(data).toMatchObject({
      kind: 'tabular',
      featureNames: ['temp, °C', 'rpm\n(1/min)'],
      rows: [
        [20.5, 1000],
        [21, null],
      ],
      labels: [0, 1],
      // The quoted header spans two physical lines, so the rows start on lines 3 and 4.
      lines: [3, 4],
    });
  });

  it('names the physical line after an embedded line break in an error', async () => {
    const file = await tmp.write('quoted-bad.csv', '"a\nb",label\n1,0\nx,1\n');
    await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_VALUE', {
      file,
      line: 4,
      column: 1,
    });
  });
});
