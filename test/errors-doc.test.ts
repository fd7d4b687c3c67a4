import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ERRORS } from '../src/errors.ts';

it('docs/errors.md lists exactly the codes and statuses of src/errors.ts', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.status])));
});
