/**
 * Spec handler of put_prior: the owner of another THP (queued for deferred
 * split before the tracked one, scenario param `prior`) drops it. No user of
 * the tracked THP can see that THP, so nothing they can observe changes; what
 * the kernel must still get right (its list links, that the shrinker never
 * touches it once freed) is checked by the implementations' own BUG_ONs.
 */
import type { Handler } from './handler.js';

const on_put_prior: Handler = () => 'ok';

export const priorHandlers: Readonly<Record<string, Handler>> = { put_prior: on_put_prior };
