/**
 * A physical memory scanner (a pfn walker such as compaction or
 * /proc/kpageflags readers): it takes a speculative reference with
 * get_page_unless_zero(pfn_to_page(pfn)), lockless, and drops it with
 * put_page(). A tail page of a large folio has _refcount 0, so the scanner
 * never succeeds on a tail (include/linux/page_ref.h @ v6.12).
 */
// Deliberate copy of impl/thp's scanner.ts where the kernel code is unchanged: the two implementations stay independently built (own state types, own kernel-version citations) so spec/thp judges each on its own.
import { folio_put, get_page_unless_zero } from './folio.js';
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
  "The scanner drops its speculative reference: put_page() (folio_put of the page's folio).",
  [],
  [
    {
      name: 'put_page',
      run: (g, t) => {
        const i = arg(t, 'sub');
        if (badSub(t, i) || g.user_refs[i]! === 0) return done('EINVAL');
        g.user_refs[i]!--;
        folio_put(g, t, i);
        return done('ok');
      },
    },
  ],
);
