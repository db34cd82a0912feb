import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type: 'major' | 'minor' }) => void;
let gc: Gc | undefined;

/** `gc` of `--expose-gc`, from a fresh context made once (the test process runs without the flag). */
function exposedGc(): Gc {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  return gc;
}

/** A forced major collection. */
export function collectGarbage(): void {
  exposedGc()();
}

/** A forced scavenge (minor collection). */
export function scavenge(): void {
  exposedGc()({ type: 'minor' });
}
