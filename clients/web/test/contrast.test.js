import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

// WCAG AA: normal text needs 4.5:1 against its background. Checked on the stylesheet itself.
const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const ratio = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

test('text colours reach 4.5:1 on the backgrounds they are used on', () => {
  const backgrounds = ['bg-input', 'bg-chat', 'bg-side', 'bg-rail'].map((k) => vars[k]);
  for (const fg of ['text', 'text-muted', 'danger-text']) {
    for (const bg of backgrounds) expect(ratio(vars[fg], bg), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
  }
  expect(ratio('#ffffff', vars['danger-fill'])).toBeGreaterThanOrEqual(4.5);
  expect(ratio('#ffffff', vars.accent)).toBeGreaterThanOrEqual(4.5);
});

test('red text uses the readable red; offline members and sending messages are not faded with opacity', () => {
  expect(css).toMatch(/button\.danger, \.danger \{ color: var\(--danger-text\); \}/);
  expect(css).not.toMatch(/\.member\.offline \{[^}]*opacity/);
  expect(css).not.toMatch(/\.message\.sending \.content \{[^}]*opacity/);
});
