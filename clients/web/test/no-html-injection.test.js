import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
}

// User content must only ever become text nodes: no API that parses HTML anywhere in the app.
test('the web client never hands strings to an HTML parser', () => {
  const offenders = files(join(dirname(fileURLToPath(import.meta.url)), '../src')).filter((f) =>
    /dangerouslySetInnerHTML|\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML|document\.write|createContextualFragment/.test(readFileSync(f, 'utf8')));
  expect(offenders).toEqual([]);
});
