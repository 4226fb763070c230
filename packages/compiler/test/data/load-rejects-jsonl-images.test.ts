import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadDataset } from '../../src/data/load-dataset.js';
import { TempDir, TINY_PNG, expectDataError } from './helpers.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await TempDir.create();
});
afterAll(async () => {
  await tmp.remove();
});

const classification = { task: 'classification' } as const;

describe('rejects JSONL samples', () => {
  const tensorOptions = { ...classification, sampleShape: [1, 3] };

  it('a ragged sample (EF_COMPILE_DATA_SHAPE)', async () => {
    const file = await tmp.write(
      'ragged.jsonl',
      '{"input": [[1, 2, 3]], "label": 0}\n{"input": [[1, 2]], "label": 1}\n',
    );
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_SHAPE', {
      file,
      line: 2,
    });
    expect(err.message).toContain('[1, 2]');
  });

  it('a sample ragged inside (EF_COMPILE_DATA_SHAPE)', async () => {
    const file = await tmp.write('inner.jsonl', '{"input": [[1, 2], [3]], "label": 0}\n');
    const err = await expectDataError(loadDataset(file, classification), 'EF_COMPILE_DATA_SHAPE', {
      file,
      line: 1,
    });
    expect(err.message).toContain('input[1]');
  });

  it('a sample that does not fit the model input (EF_COMPILE_DATA_SHAPE)', async () => {
    const file = await tmp.write('model-shape.jsonl', '{"input": [1, 2, 3], "label": 0}\n');
    await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_SHAPE', {
      file,
      line: 1,
    });
  });

  it('an invalid JSON line (EF_COMPILE_DATA_PARSE)', async () => {
    const file = await tmp.write(
      'bad.jsonl',
      '{"input": [[1, 2, 3]], "label": 0}\n{"input": [[1, 2, 3]],\n',
    );
    const err = await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_PARSE', {
      file,
      line: 2,
    });
    expect(err.message).toContain('invalid JSON');
  });

  it('a non-numeric element (EF_COMPILE_DATA_VALUE)', async () => {
    const file = await tmp.write('null.jsonl', '{"input": [[1, null, 3]], "label": 0}\n');
    const err = await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_VALUE', {
      file,
      line: 1,
    });
    expect(err.message).toContain('input[0][1]');
  });

  it('a sample without a label (EF_COMPILE_DATA_LABEL_MISSING)', async () => {
    const file = await tmp.write('nolabel.jsonl', '{"input": [[1, 2, 3]]}\n');
    await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_LABEL_MISSING', {
      file,
      line: 1,
    });
  });

  it('label 2.5 for classification (EF_COMPILE_DATA_LABEL)', async () => {
    const file = await tmp.write(
      'frac.jsonl',
      '{"input": [[1, 2, 3]], "label": 0}\n{"input": [[1, 2, 3]], "label": 2.5}\n',
    );
    await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_LABEL', {
      file,
      line: 2,
    });
  });

  it('label -1 for classification (EF_COMPILE_DATA_LABEL)', async () => {
    const file = await tmp.write('neg.jsonl', '{"input": [[1, 2, 3]], "label": -1}\n');
    await expectDataError(loadDataset(file, tensorOptions), 'EF_COMPILE_DATA_LABEL', {
      file,
      line: 1,
    });
  });
});

describe('rejects image folders', () => {
  it('a folder with no class subfolders (EF_COMPILE_DATA_CLASSES)', async () => {
    const dir = await tmp.mkdir('no-classes');
    await tmp.write('no-classes/notes.txt', 'x');
    const err = await expectDataError(loadDataset(dir, classification), 'EF_COMPILE_DATA_CLASSES', {
      file: dir,
    });
    expect(err.message).toContain('no class subfolders');
  });

  it('images beside the class folders (EF_COMPILE_DATA_CLASSES)', async () => {
    await tmp.write('loose/cat/a.png', TINY_PNG);
    const file = await tmp.write('loose/b.png', TINY_PNG);
    await expectDataError(
      loadDataset(path.dirname(file), classification),
      'EF_COMPILE_DATA_CLASSES',
      { file },
    );
  });

  it('a non-image file in a class folder: an error, not a silent skip (EF_COMPILE_DATA_IMAGE)', async () => {
    await tmp.write('mixed/cat/a.png', TINY_PNG);
    await tmp.write('mixed/cat/.DS_Store', 'hidden files are skipped');
    const file = await tmp.write('mixed/dog/readme.txt', 'not an image');
    const err = await expectDataError(
      loadDataset(path.join(tmp.root, 'mixed'), classification),
      'EF_COMPILE_DATA_IMAGE',
      { file },
    );
    expect(err.message).toContain('class folder "dog"');
  });

  it('class folders with no images (EF_COMPILE_DATA_EMPTY)', async () => {
    await tmp.mkdir('hollow/cat');
    const dir = await tmp.mkdir('hollow/dog');
    await expectDataError(loadDataset(path.dirname(dir), classification), 'EF_COMPILE_DATA_EMPTY', {
      file: path.dirname(dir),
    });
  });

  it('fewer class folders than model classes without class names (EF_COMPILE_DATA_CLASSES)', async () => {
    const file = await tmp.write('short/cat/a.png', TINY_PNG);
    const dir = path.dirname(path.dirname(file));
    await expectDataError(
      loadDataset(dir, { ...classification, classCount: 2 }),
      'EF_COMPILE_DATA_CLASSES',
      {
        file: dir,
      },
    );
  });

  it('a class folder that is not among the class names (EF_COMPILE_DATA_CLASSES)', async () => {
    const file = await tmp.write('named/cow/a.png', TINY_PNG);
    const dir = path.dirname(path.dirname(file));
    const err = await expectDataError(
      loadDataset(dir, { ...classification, classNames: ['cat', 'dog'] }),
      'EF_COMPILE_DATA_CLASSES',
      { file: dir },
    );
    expect(err.message).toContain('cow');
  });
});
