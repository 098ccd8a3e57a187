import { expect, it } from 'vitest';
import { runDemo } from '../../lib/demo/main.ts';

it('npm start: the demo replicates a live load to two subscribers and verifies them', async () => {
  const lines: string[] = [];
  const code = await runDemo({ duration: 4, rate: 40, users: 1000, out: (l) => lines.push(l) });
  expect(lines).toContain('Result: subscribers equal the provider.');
  expect(lines.filter((l) => l.startsWith('  OK ')).length).toBe(12);
  expect(code).toBe(0);
}, 240_000);
