/** A copy of `a` with room for `min` words at least (doubling), for the stores' growable Int32Arrays. */
export function grown(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(2 * a.length, min));
  b.set(a);
  return b;
}
