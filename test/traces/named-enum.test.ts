/** S.named: an int in the encoding and in impl code, a name in ITF (so traces and the viewer show names). */
import { describe, expect, it } from 'vitest';
import { IntBuffer, S, compileCodec, ArrayReader } from '../../checker/schema.js';

describe('S.named', () => {
  const s = S.struct({ st: S.named(['free', 'live', 'closing']), n: S.int() });

  it('writes names to ITF and reads names or integers back', () => {
    expect(s.toItf({ st: 1, n: 5 })).toEqual({ st: 'live', n: 5 });
    expect(s.toItf({ st: 7, n: 0 })).toEqual({ st: 7, n: 0 }); // outside the names: the number
    expect(s.fromItf({ st: 'closing', n: 1 }, 'x')).toEqual({ st: 2, n: 1 });
    expect(s.fromItf({ st: 1, n: 1 }, 'x')).toEqual({ st: 1, n: 1 });
    expect(() => s.fromItf({ st: 'gone', n: 1 }, 'x')).toThrow(/x\.st: expected one of free\|live\|closing/);
  });

  it('encodes exactly like S.int (interpreted and compiled)', () => {
    const plain = S.struct({ st: S.int(), n: S.int() });
    const a = new IntBuffer();
    const b = new IntBuffer();
    s.encode({ st: 2, n: 9 }, a);
    plain.encode({ st: 2, n: 9 }, b);
    expect([...a.toArray()]).toEqual([...b.toArray()]);
    const c = compileCodec(s);
    const w = new IntBuffer();
    c.encode({ st: 2, n: 9 }, w);
    expect(c.decode(new ArrayReader(w.toArray()))).toEqual({ st: 2, n: 9 });
  });
});
