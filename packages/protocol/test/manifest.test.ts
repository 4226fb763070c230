import { describe, expect, it } from 'vitest';
import { bundleFileNames, ManifestSchema, parseManifest, type Manifest } from '../src/index.js';
import { makeManifest, sha } from './helpers/sample-messages.js';

const expectSchema = (m: unknown, path: RegExp) => {
  let caught: unknown;
  try {
    parseManifest(m);
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ code: 'EF_PROTO_SCHEMA' });
  expect((caught as Error).message).toMatch(path);
};

function mutate(fn: (m: Manifest & Record<string, unknown>) => void): unknown {
  const m = structuredClone(makeManifest()) as Manifest & Record<string, unknown>;
  fn(m);
  return m;
}

describe('manifest', () => {
  it('round-trips through JSON bytes', () => {
    const m = makeManifest();
    expect(parseManifest(Buffer.from(JSON.stringify(m)))).toEqual(m);
  });

  it('accepts image and tensor preprocessing and a histogram output', () => {
    const image = mutate((m) => {
      m.preprocess = {
        kind: 'image',
        input: 'input',
        width: 224,
        height: 224,
        fit: 'cover',
        channels: 3,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        layout: 'nchw',
        scale: 1 / 255,
      };
      m.baseline.output = { kind: 'histogram', edges: [0, 1], shares: [0.1, 0.8, 0.1] };
    });
    expect(ManifestSchema.safeParse(image).success).toBe(true);
    expect(
      parseManifest(mutate((m) => (m.preprocess = { kind: 'tensor', input: 'input' }))).preprocess
        .kind,
    ).toBe('tensor');
  });

  it('keeps extra descriptive fields but refuses extra semantic ones [P-BD-4]', () => {
    expect(
      parseManifest(mutate((m) => ((m.validation as Record<string, unknown>).f1 = 0.9))).validation,
    ).toMatchObject({ f1: 0.9 });
    expectSchema(
      mutate((m) => ((m.preprocess as Record<string, unknown>).normalize = true)),
      /preprocess/,
    );
    expectSchema(
      mutate((m) => (m.newSection = {})),
      /Unrecognized key/,
    );
  });

  it('names its bundle files', () => {
    expect(bundleFileNames).toEqual({
      manifest: 'manifest.json',
      model: 'model.onnx',
      signature: 'signature.json',
      report: 'report.html',
    });
  });
});

describe('rejects invalid manifests', () => {
  const cases: Array<[string, (m: Manifest & Record<string, unknown>) => void, RegExp]> = [
    [
      'another schemaVersion',
      (m) => ((m as Record<string, unknown>).schemaVersion = 2),
      /schemaVersion/,
    ],
    ['an uppercase name', (m) => (m.name = 'Pump'), /name/],
    ['a non-semver version', (m) => (m.version = '1.2'), /version/],
    [
      'an unknown dtype',
      (m) => ((m.model.inputs[0] as Record<string, unknown>).dtype = 'float64'),
      /model\.inputs\[0\]\.dtype/,
    ],
    [
      'a preprocess input that is not a model input',
      (m) => (m.preprocess.input = 'x'),
      /preprocess\.input/,
    ],
    [
      'a postprocess output that is not a model output',
      (m) => (m.postprocess.output = 'y'),
      /postprocess\.output/,
    ],
    [
      'a zero std',
      (m) => m.preprocess.kind === 'tabular' && (m.preprocess.features[0]!.std = 0),
      /preprocess\.features\[0\]\.std/,
    ],
    [
      'an inverted clip',
      (m) => m.preprocess.kind === 'tabular' && (m.preprocess.features[0]!.clip = [2, 1]),
      /clip/,
    ],
    [
      'shares that miss a bin',
      (m) => (m.baseline.features[0]!.shares = [0.5, 0.5]),
      /baseline\.features\[0\]\.shares/,
    ],
    [
      'shares that do not sum to 1',
      (m) => (m.baseline.features[1]!.shares = [0.5, 0.6]),
      /baseline\.features\[1\]\.shares/,
    ],
    ['edges out of order', (m) => (m.baseline.features[0]!.edges = [70, 55, 40]), /edges/],
    [
      'a smoke test with wrong data length',
      (m) => (m.smokeTests[0]!.inputs.input!.data = [1]),
      /smokeTests\[0\]\.inputs\.input\.data/,
    ],
    [
      'a smoke test on an unknown input',
      (m) => (m.smokeTests[0]!.inputs = { nope: { dims: [1], data: [1] } }),
      /smokeTests\[0\]\.inputs\.nope/,
    ],
    ['files without model.onnx', (m) => delete m.files['model.onnx'], /files\.model\.onnx/],
    [
      'a model digest that disagrees',
      (m) => (m.files['model.onnx'] = sha('other')),
      /files\.model\.onnx/,
    ],
    ['a path escaping the bundle', (m) => (m.files['../etc/passwd'] = sha('x')), /files/],
    ['an absolute path', (m) => (m.files['/etc/passwd'] = sha('x')), /files/],
    [
      'the signature in files',
      (m) => (m.files['signature.json'] = sha('x')),
      /files\.signature\.json/,
    ],
    [
      'an unknown architecture',
      (m) => ((m.runtime.architectures as string[]) = ['riscv']),
      /runtime\.architectures/,
    ],
    [
      'thresholds without labels',
      (m) =>
        ((m.postprocess as Record<string, unknown>) = {
          task: 'classification',
          output: 'probabilities',
          thresholds: [0.5],
        }),
      /thresholds/,
    ],
    [
      'an uppercase sha256',
      (m) => (m.model.sha256 = m.model.sha256.toUpperCase()),
      /model\.sha256/,
    ],
  ];
  it.each(cases)('rejects %s', (_name, fn, path) => expectSchema(mutate(fn), path));

  it('rejects a manifest over 4 MiB with EF_PROTO_TOO_LARGE', () => {
    expect(() => parseManifest(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20))).toThrow(
      expect.objectContaining({ code: 'EF_PROTO_TOO_LARGE' }),
    );
  });
});
