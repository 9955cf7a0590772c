/** Worker side of shared-stores.test.ts: hammers the shared stores from its own thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { fingerprint } from '../../checker/fingerprint.js';
import { SharedInternTable, type SharedInternBuffers } from '../../checker/store/shared-intern.js';
import { norm, SharedFingerprintTable } from '../../checker/store/shared-visited.js';

const d = workerData as {
  kind: 'fp' | 'intern';
  table: SharedArrayBuffer;
  intern: SharedInternBuffers;
  start: Int32Array;
  seed: number;
  n: number;
};
/** The same n values in every worker, in a worker-specific order. */
function order(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed * 2654435761 + 1;
  for (let i = n - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
const fp = new Uint32Array(2);
while (Atomics.load(d.start, 0) === 0) Atomics.wait(d.start, 0, 0, 10); // start together
if (d.kind === 'fp') {
  const t = new SharedFingerprintTable(d.table);
  let claimed = 0;
  let lowered = 0;
  for (const v of order(d.n, d.seed)) {
    fingerprint(Int32Array.of(v % (d.n >> 1)), 0, 1, fp); // every value twice: duplicates within a thread too
    const tag = 1000 + ((v * 7 + d.seed * 13) % 997);
    const r = t.insert(norm(fp[0]!), norm(fp[1]!), tag);
    if (r >= 0) claimed++;
    else if (t.lowerTag(~r, tag)) lowered++;
  }
  parentPort!.postMessage({ claimed, lowered });
} else {
  const t = new SharedInternTable(d.intern);
  const ids: number[] = new Array(d.n);
  for (const v of order(d.n, d.seed)) {
    const a = Int32Array.from({ length: 1 + (v % 5) }, (_, i) => v * 10 + i);
    fingerprint(a, 0, a.length, fp);
    ids[v] = t.intern(a, 0, a.length, fp[0]!);
  }
  parentPort!.postMessage({ ids });
}
