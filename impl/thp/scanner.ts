/**
 * A physical memory scanner (a pfn walker such as compaction or
 * /proc/kpageflags readers): it takes a speculative reference with
 * get_page_unless_zero(pfn_to_page(pfn)), lockless, and drops it with
 * put_page(). Documentation/vm/transhuge.rst @ v5.10 ("Refcounts and
 * transparent huge pages"): tail pages have _refcount 0, so the scanner never
 * succeeds on a tail.
 */
import { get_page_unless_zero, put_page } from './page.js';
import { arg, badSub, done, kernelOp } from './steps.js';

export const scan_get = kernelOp(
  'A physical memory scanner (pfn walker) takes a speculative reference: get_page_unless_zero(pfn_to_page(pfn)), lockless.',
  [],
  [
    {
      name: 'get_page_unless_zero',
      run: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i)) return done('EINVAL');
        if (!get_page_unless_zero(g, t, i)) return done('fail');
        g.user_refs[i]!++;
        return done('ok');
      },
    },
  ],
);

export const scan_put = kernelOp(
  'The scanner drops its speculative reference: put_page().',
  [],
  [
    {
      name: 'put_page',
      run: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i) || g.user_refs[i]! === 0) return done('EINVAL');
        g.user_refs[i]!--;
        put_page(g, t, i);
        return done('ok');
      },
    },
  ],
);
