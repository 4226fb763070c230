/** The report's sections about what the device runs: preprocessing, model I/O, files. */
import { bundleFileNames } from '@edgefleet/protocol';
import { html, type SafeHtml } from './html-escape.js';
import { formatInt, formatNum } from './report-format.js';
import type { CompileReportJson } from './report-types.js';

const list = (xs: readonly number[]) => xs.map((x) => formatNum(x)).join(', ');

/** Tabular scaling per feature, or image size/layout/normalization, or a raw tensor. */
export function preprocessSection(r: CompileReportJson): SafeHtml {
  const p = r.preprocess;
  let body: SafeHtml;
  if (p.kind === 'tabular') {
    body = html`<table>
      <thead>
        <tr>
          <th>feature</th>
          <th class="num">impute</th>
          <th class="num">clip</th>
          <th class="num">mean</th>
          <th class="num">std</th>
        </tr>
      </thead>
      <tbody>
        ${p.features.map(
          (f) =>
            html`<tr>
              <td>${f.name}</td>
              <td class="num">${f.impute === undefined ? '–' : formatNum(f.impute)}</td>
              <td class="num">${f.clip ? `[${list(f.clip)}]` : '–'}</td>
              <td class="num">${formatNum(f.mean)}</td>
              <td class="num">${formatNum(f.std)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  } else if (p.kind === 'image') {
    body = html`<table>
      <tbody>
        <tr>
          <th>size</th>
          <td>${p.width}×${p.height} (${p.fit})</td>
        </tr>
        <tr>
          <th>channels / layout</th>
          <td>${p.channels} / ${p.layout}</td>
        </tr>
        <tr>
          <th>scale</th>
          <td>${formatNum(p.scale, 6)}</td>
        </tr>
        <tr>
          <th>mean</th>
          <td>${list(p.mean)}</td>
        </tr>
        <tr>
          <th>std</th>
          <td>${list(p.std)}</td>
        </tr>
      </tbody>
    </table>`;
  } else {
    body = html`<p>The input tensor is fed as given (no preprocessing).</p>`;
  }
  return html`<section id="preprocess">
    <h2>Preprocessing</h2>
    <p>kind <code>${p.kind}</code>, into input <code>${p.input}</code></p>
    ${body}
  </section>`;
}

function tensorRows(kind: string, tensors: CompileReportJson['model']['inputs']): SafeHtml[] {
  return tensors.map(
    (t) =>
      html`<tr>
        <td>${kind}</td>
        <td><code>${t.name}</code></td>
        <td>${t.dtype}</td>
        <td><code>[${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]</code></td>
      </tr>`,
  );
}

/** Inputs, outputs, opset, task and what the device checks before switching. */
export function modelSection(r: CompileReportJson): SafeHtml {
  const m = r.model;
  return html`<section id="model">
    <h2>Model</h2>
    <p>
      <code>${m.file}</code>, ${formatInt(m.bytes)} B, opset ${m.opset}, ${m.task} on output
      <code>${m.output}</code>; ${m.smokeTests} smoke tests; architectures
      ${m.architectures.join(', ')}
    </p>
    <table>
      <thead>
        <tr>
          <th></th>
          <th>name</th>
          <th>dtype</th>
          <th>shape</th>
        </tr>
      </thead>
      <tbody>
        ${tensorRows('input', m.inputs)}${tensorRows('output', m.outputs)}
      </tbody>
    </table>
  </section>`;
}

/** Every file of the bundle and its sha256, as the signed manifest lists them. */
export function filesSection(r: CompileReportJson): SafeHtml {
  return html`<section id="files">
    <h2>Files</h2>
    <table>
      <thead>
        <tr>
          <th>file</th>
          <th>sha256</th>
        </tr>
      </thead>
      <tbody>
        ${r.files.map(
          (f) =>
            html`<tr>
              <td><code>${f.name}</code></td>
              <td class="hash">${f.sha256}</td>
            </tr>`,
        )}
        <tr>
          <td><code>${bundleFileNames.report}</code></td>
          <td class="muted">this report; its digest is in the signed manifest</td>
        </tr>
      </tbody>
    </table>
  </section>`;
}
