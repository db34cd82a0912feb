import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runDataDriven } from '../helpers/datadriven.js';
import { InteractionEnv } from '../helpers/interaction-env.js';
import { handle } from '../helpers/interaction-handlers.js';

// Scripted multi-node scenarios (etcd's interaction_test.go). Each file in testdata/ is
// run stanza by stanza against a fresh InteractionEnv; `REWRITE=1` regenerates the
// expected output in place (then review the diff).
const dir = join(import.meta.dirname, 'testdata');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('interaction scenarios', () => {
  test.each(files)('%s', (file) => {
    const env = new InteractionEnv();
    runDataDriven(
      join(dir, file),
      (d) => handle(env, d),
      (actual, expected, where) => expect(actual, where).toBe(expected),
    );
  });
});
