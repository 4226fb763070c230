/**
 * HTML built from a tagged template that escapes every interpolated value unless it is already
 * {@link SafeHtml}. Escaping by default means a section cannot forget to escape a feature name,
 * a label or a path: data from the manifest is text unless code wraps it on purpose.
 */

/** A fragment of markup that is already safe to insert (built by {@link html}). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What may be interpolated into {@link html}; arrays are joined, nullish and false vanish. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML text node or a quoted attribute value.
 *
 * @example
 * escapeHtml('<script>alert(1)</script>'); // -> '&lt;script&gt;alert(1)&lt;/script&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Tagged template: literal parts are markup, interpolations are escaped text.
 *
 * @example
 * html`<td>${'a < b'}</td>`.value; // -> '<td>a &lt; b</td>'
 * html`<ul>${['x', 'y'].map((s) => html`<li>${s}</li>`)}</ul>`.value; // -> '<ul><li>x</li><li>y</li></ul>'
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] as string;
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] as string);
  });
  return new SafeHtml(out);
}
