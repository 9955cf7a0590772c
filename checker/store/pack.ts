/**
 * The packed form of a queued state vector, shared by the sequential BFS
 * queue (queue.ts) and the parallel frontier (frontier.ts). Queued states are
 * most of a BFS's transient memory, and state vectors are mostly zeros and
 * small integers (a real model's vector is ~70% zeros: idle threads' locals,
 * empty slots), so a vector is stored as a byte stream:
 *
 *   0x00..0x3f  one value, zigzag-encoded (-32..31)
 *   0x40..0x7f  a run of 2..65 zeros
 *   0x80..0xff  one value: the low 7 bits of its zigzag code, then the rest
 *               of the code in LEB128 bytes (7 bits each, high bit: more)
 *
 * An entry is word-aligned in an Int32 buffer: a head word (`head`: the
 * vector's length and the payload's words), then the entry's own header
 * words, then the payload bytes through a Uint8Array view of the same buffer.
 * hugetlb-4x6: 194 values in 12 words on average (97 at 16 bits each before);
 * the toy: 30 values in 5 words (8 before).
 */

/** Longest vector a head word holds. */
export const MAX_PACKED_LEN = 0xffff;

/** Most payload words a vector of `len` values packs to (5 bytes per value at worst). */
export function maxPackedWords(len: number): number {
  return (5 * len + 3) >> 2;
}

/** The head word of an entry: the vector's length and its payload's words. */
export function packHead(len: number, words: number, what: string): number {
  if (len > MAX_PACKED_LEN || words > 0xffff) throw new Error(`state vector too long for the ${what}`);
  return len | (words << 16);
}

export function headLen(head: number): number {
  return head & 0xffff;
}

export function headWords(head: number): number {
  return head >>> 16;
}

/** Pack vec[off, off+len) into dst from byte `at`; returns the bytes written (room: maxPackedWords). */
export function packInto(vec: Int32Array, off: number, len: number, dst: Uint8Array, at: number): number {
  let p = at;
  const end = off + len;
  for (let i = off; i < end;) {
    const v = vec[i]!;
    if (v === 0) {
      let r = 1;
      while (i + r < end && r < 65 && vec[i + r] === 0) r++;
      dst[p++] = r === 1 ? 0 : 0x40 + r - 2;
      i += r;
      continue;
    }
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    if (z < 0x40) dst[p++] = z;
    else {
      dst[p++] = 0x80 | (z & 0x7f);
      z >>>= 7;
      while (z >= 0x80) {
        dst[p++] = 0x80 | (z & 0x7f);
        z >>>= 7;
      }
      dst[p++] = z;
    }
    i++;
  }
  return p - at;
}

/** Unpack `len` values from src at byte `at` into out[0, len). */
export function unpackFrom(src: Uint8Array, at: number, len: number, out: Int32Array): void {
  let p = at;
  for (let i = 0; i < len;) {
    const b = src[p++]!;
    if (b < 0x40) out[i++] = (b >>> 1) ^ -(b & 1);
    else if (b < 0x80) {
      for (let r = b - 0x40 + 2; r > 0; r--) out[i++] = 0;
    } else {
      let z = b & 0x7f;
      let shift = 7;
      let c: number;
      do {
        c = src[p++]!;
        z |= (c & 0x7f) << shift;
        shift += 7;
      } while (c & 0x80);
      out[i++] = (z >>> 1) ^ -(z & 1);
    }
  }
}
