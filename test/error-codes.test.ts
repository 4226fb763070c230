import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGS, renderErrorsMarkdown } from '../scripts/docs/error-catalog.js';

describe('error codes', () => {
  it('docs/errors.md matches the catalogs (run `npm run docs:errors` to update it)', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsMarkdown());
  });

  it('every code is unique across packages and named EF_<AREA>_<WHAT>', () => {
    const seen = new Map<string, string>();
    for (const { pkg, codes } of ERROR_CATALOGS) {
      for (const code of Object.keys(codes)) {
        expect(code).toMatch(/^EF_[A-Z0-9]+_[A-Z0-9_]+$/);
        expect(seen.get(code), `${code} is in both ${seen.get(code)} and ${pkg}`).toBeUndefined();
        seen.set(code, pkg);
      }
    }
  });

  it('every code has a meaning that is a sentence', () => {
    for (const { codes } of ERROR_CATALOGS) {
      for (const [code, meaning] of Object.entries(codes)) {
        expect(meaning.length, code).toBeGreaterThan(10);
        expect(meaning.endsWith('.'), `${code}: end the meaning with a full stop`).toBe(true);
      }
    }
  });
});
