/**
 * lockdep for the models: assertHeld() is used the way the kernel uses
 * lockdep_assert_held(): at the top of a helper that requires its caller to
 * hold a lock, and right before a step releases one. A lock field follows the
 * convention of every impl/ state: the owner's tid + 1, 0 when free.
 *
 * A failed assertion is a bug in the model itself, never in the modelled
 * kernel: it throws an InternalError, which the checker reports as a step that
 * crashed (with the trace leading to it), never as a refinement verdict.
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}`);
    this.name = 'InternalError';
  }
}

/** lockdep_assert_held(lock): thread `tid` holds the lock whose owner field is `owner`. */
export function assertHeld(owner: number | undefined, tid: number, lock: string): void {
  if (owner !== tid + 1)
    throw new InternalError(
      `lockdep_assert_held(${lock}) failed in thread ${tid}: owner is ${owner === 0 ? 'nobody' : `thread ${(owner ?? 0) - 1}`}`,
    );
}

/** Release a lock the caller must hold (assertHeld, then clear the owner). */
export function releaseHeld(tid: number, lock: string, owner: number | undefined): 0 {
  assertHeld(owner, tid, lock);
  return 0;
}
