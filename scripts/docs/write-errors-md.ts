// Regenerates docs/errors.md from the packages' error catalogs.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorsMarkdown } from './error-catalog.js';

const target = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
writeFileSync(target, renderErrorsMarkdown());
console.log(`wrote ${target}`);
