import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A forced major collection (through `--expose-gc` in a fresh context, without the flag on the test process). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
