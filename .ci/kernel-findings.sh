#!/bin/sh
# Reproduce every hugetlb finding on both Debian kernels. DIVERGED (exit 1) or bad input (2) fails CI;
# INCONCLUSIVE (3) is allowed only for findings that cannot be forced on a stock kernel (injected
# allocation failures in a race, concurrent interleavings) — the ones below must be REPRODUCED (exit 0).
# finding-temp-page-counted-persistent is a race loop (up to 2000 iterations / 170 s) that hit at iteration 1 or 2
# in every run of session 15 (3/3 on 6.1.192 and 6.12.118, controls clean): a miss is a regression to look at, not
# noise. CI's session-14 NOT REPRODUCED was the loop's own fault (its writer raced mmap, the loop stopped silently).
# finding-surplus-alloc-counted-persistent (the same loop, writer only inside mmap) hit at iteration 174 on 6.12.118
# and 136 on 6.1.192 (session 15), controls 2000 iterations clean.
# finding-uffd-copy-vs-truncate (its own loop: ftruncate during UFFDIO_COPY's 2 MiB copy, then the entry left beyond
# EOF) hit within 7 iterations on both kernels in 4 of 4 runs of session 16; finding-unmapped-child-survives (fork
# per iteration, preempt=full, a SCHED_FIFO thread holding the child inside its window) hit in 7 of 7 runs of session
# 16, at iterations 22 to 615 (at most 74 s of loop under load; limit 170 s), controls clean (subsystems/hugetlb/
# NOTES.md "Two racy findings on real kernels").
# finding-restore-on-surplus-page (REPRODUCED on 6.1.192, AGREED on 6.12.118: fixed there by 37641efaa3fa) and
# finding-shared-restore-double-failure (REPRODUCED on both) inject allocation failures with
# kernel/inject/mmcheck_inject.c (built by npm run kernel:setup): sequential, deterministic, 4 or more runs of each per kernel
# in session 16 gave the same verdict; a run whose injection did not fire is INCONCLUSIVE and fails them here.
# finding-restore-deletes-new-reservation and finding-fix-reserve-counts-full-pool inject a failure inside a race:
# their C loops load the same module with holds (a thread waits, sleeping, inside a kprobe'd function until the
# loop releases it; hold_ms 3000 at most), so the window is opened on purpose; an iteration whose punch cannot finish
# while the fault is held (late= in END; seen twice at iteration 1, cause not confirmed) just does not open. Session 17: REPRODUCED at iteration 1 or 2 in every run on 6.1.192 and 6.12.118,
# controls clean (2 runs per kernel of the first, 3 of the second); each takes 35-110 s wall per kernel here under load (two boots, race and
# control; the loops under 4 s).
# finding-cow-anon-vma-surplus-page (hugetlb_wp's __anon_vma_prepare failed once, session 17): REPRODUCED on 6.1.192
# and 6.12.118 in 2 runs each (Total=1 Free=0 Rsvd=1 Surp=1 after the failed COW, as predicted).
# finding-fix-reserve-counts-membind (two nodes, MPOL_BIND, region_del's kmalloc failed once, sequential, session 17):
# REPRODUCED on 6.1.192 and 6.12.118 in 2 runs each (Rsvd=-1 after the pool is emptied).
set -u
cd "$(dirname "$0")/.."
must="finding-child-subpool-reserve finding-out-put-pages-min finding-noreserve-subpool-reserve finding-alloc-fail-subpool-refill finding-surplus-free-subpool-refill finding-uffd-efault-min-size-entry finding-mremap-partial-private finding-node-remove-surplus-page finding-temp-page-counted-persistent finding-surplus-alloc-counted-persistent finding-uffd-copy-vs-truncate finding-unmapped-child-survives finding-restore-on-surplus-page finding-shared-restore-double-failure finding-restore-deletes-new-reservation finding-fix-reserve-counts-full-pool finding-cow-anon-vma-surplus-page finding-fix-reserve-counts-membind"
out="$(mktemp -d)"
fail=0
t0=$(date +%s)
for f in $(node -e 'import("./dist/subsystems/hugetlb/index.js").then(m => console.log(m.hugetlb.findings.map(f => f.name).join(" ")))'); do
  node bin/mmcheck.js reproduce hugetlb --scenario "$f" --kernel 6.1 --kernel 6.12 --out "$out"
  code=$?
  case " $must " in *" $f "*) want=0 ;; *) want=03 ;; esac
  case "$want" in *"$code"*) echo "== $f: exit $code (ok)" ;; *) echo "== $f: exit $code: FAIL"; fail=1 ;; esac
done
echo "== kernel findings: $(( $(date +%s) - t0 )) s"
exit $fail
