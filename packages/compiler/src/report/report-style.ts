/**
 * The report's only stylesheet, inlined: no web fonts or external CSS, so the file reads the same
 * offline, from a bundle extracted on a device, or printed. Colours carry pass/fail, so printing
 * keeps them (print-color-adjust).
 */
export const REPORT_STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --pass: #1a7f37; --fail: #cf222e;
  --fp32: #8c959f; --shipped: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1100px; padding: 24px; -webkit-print-color-adjust: exact;
  print-color-adjust: exact; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 14px 0 6px; }
.meta, .muted, figcaption { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .hash { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.verdict { padding: 8px 12px; border-radius: 6px; font-weight: 600; margin: 10px 0; border: 1px solid; }
.verdict.pass { color: var(--pass); background: #dafbe1; border-color: var(--pass); }
.verdict.fail { color: var(--fail); background: #ffebe9; border-color: var(--fail); }
.yes { color: var(--pass); font-weight: 600; } .no { color: var(--fail); }
tr.chosen td { background: #ddf4ff; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure { width: fit-content; margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px; break-inside: avoid; }
figure h3 { margin: 0 0 4px; word-break: break-all; max-width: 300px; }
figcaption { font-size: 12px; }
svg text { font: 10px system-ui, sans-serif; fill: var(--fg); }
svg line { stroke: var(--muted); stroke-width: 1; }
svg.hist rect { fill: var(--shipped); }
svg.hist text.bin { font-size: 8px; fill: var(--muted); }
svg.bars rect.fp32 { fill: var(--fp32); } svg.bars rect.shipped { fill: var(--shipped); }
svg.bars text.title { font-weight: 600; }
svg.scatter circle { fill: var(--shipped); fill-opacity: 0.5; }
svg.scatter rect.frame { fill: none; stroke: var(--line); }
svg.scatter line.ideal { stroke: var(--fail); stroke-dasharray: 4 3; }
svg.scatter text.ideal-label { fill: var(--fail); }
table.confusion td { text-align: right; min-width: 44px; font-variant-numeric: tabular-nums; }
table.confusion td.empty { color: #afb8c1; }
section { break-inside: auto; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } }
`;
