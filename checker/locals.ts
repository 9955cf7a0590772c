/**
 * An op's locals compiled to slots: the step API keeps `t.l.name` (impl code
 * is unchanged), but `l` is an object of accessors over one Int32Array, so
 * loading the locals before a step and storing them after are typed-array
 * copies, not a loop over string keys. A write that is not a 32-bit integer
 * throws (the step fails as an impl-error): a typed array would truncate it
 * and silently merge distinct states. The object is sealed: writing an
 * undeclared local throws (it would be hidden state shared across runs).
 */
export interface LocalSlots {
  /** The op's locals object handed to its steps as `t.l`. */
  readonly l: Record<string, number>;
  /** The slots behind `l`. */
  readonly s: Int32Array;
  /** s = v[base, base + n) (fresh: zeros). */
  load(v: Int32Array, base: number, fresh: boolean): void;
  /** v[at, at + n) = s. */
  store(v: Int32Array, at: number): void;
}

export function compileLocals(names: readonly string[]): LocalSlots {
  const n = names.length;
  const s = new Int32Array(n);
  const l: Record<string, number> = {};
  names.forEach((name, i) =>
    Object.defineProperty(l, name, {
      enumerable: true,
      get: () => s[i]!,
      set: (x: number) => {
        if ((x | 0) !== x)
          throw new Error(
            `local '${name}' := ${typeof x === 'string' ? JSON.stringify(x) : String(x)}: not a 32-bit integer`,
          );
        s[i] = x;
      },
    }),
  );
  Object.seal(l);
  return {
    l,
    s,
    load(v, base, fresh) {
      if (fresh) for (let i = 0; i < n; i++) s[i] = 0;
      else for (let i = 0; i < n; i++) s[i] = v[base + i]!;
    },
    store(v, at) {
      for (let i = 0; i < n; i++) v[at + i] = s[i]!;
    },
  };
}
