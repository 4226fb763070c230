import { describe, expect, it } from 'vitest';
import { binLabels } from '../../src/report/bin-labels.js';
import { escapeHtml, html } from '../../src/report/html-escape.js';
import { formatInt, formatNum } from '../../src/report/report-format.js';
import { histogramSvg } from '../../src/report/svg-histogram.js';

describe('report helpers', () => {
  it('escapeHtml and html`` escape text but keep nested fragments', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', 1, null, false]}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b>&lt;1</p>',
    );
  });

  it('binLabels: underflow, interior ranges, overflow; one bin without edges', () => {
    expect(binLabels([0, 1.5, 3])).toEqual(['< 0', '[0, 1.5)', '[1.5, 3)', '>= 3']);
    expect(binLabels([])).toEqual(['all']);
  });

  it('formats numbers without locale', () => {
    expect(formatInt(1234567)).toBe('1\u2009234\u2009567');
    expect(formatNum(0.0123)).toBe('0.0123');
    expect(formatNum(1.5)).toBe('1.5');
    expect(formatNum(1200)).toBe('1200');
    expect(formatNum(0.000012346)).toBe('1.235e-5');
  });

  it('histogramSvg escapes bin labels and draws one bar per bin', () => {
    const svg = histogramSvg(
      [
        { label: '<x', share: 0.25 },
        { label: '>= x', share: 0.75 },
      ],
      'f<1>',
    ).value;
    expect(svg.match(/<rect\b/g)).toHaveLength(2);
    expect(svg).toContain('&lt;x');
    expect(svg).toContain('aria-label="f&lt;1&gt;"');
  });
});
