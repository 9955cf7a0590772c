/** The bench's SPIN output parser, on pan's real summary format (SPIN 6.5.2). */
import { describe, expect, it } from 'vitest';
import { parsePan } from '../../bench/run.js';

const PAN = `
(Spin Version 6.5.2 -- 6 December 2019)

Full statespace search for:
	never claim         	- (none specified)
	assertion violations	+
	cycle checks       	- (disabled by -DSAFETY)
	invalid end states	+

State-vector 60 byte, depth reached 18, errors: 0
  1795910 states, stored
  4898636 states, matched
  6694546 transitions (= stored+matched)
        0 atomic steps
hash conflicts:   1222719 (resolved)

Stats on memory usage (in Megabytes):
  137.017	equivalent memory usage for states (stored*(State-vector + overhead))
  109.829	actual memory usage for states (compression: 80.16%)
         	state-vector as stored = 44 byte + 20 byte overhead
   16.000	memory used for hash table (-w21)
    0.458	memory used for DFS stack (-m10000)
  126.224	total actual memory usage


unreached in proctype thread
	hugetlb-toy.pml:259, state 1932, "-end-"
	(1 of 1932 states)

pan: elapsed time 4.06 seconds
pan: rate 442342.36 states/second
`;

describe('bench: parsePan', () => {
  it('reads states stored, transitions, elapsed time, memory and errors', () => {
    expect(parsePan(PAN)).toEqual({
      states: 1_795_910,
      transitions: 6_694_546,
      seconds: 4.06,
      memoryMiB: 126.224,
      errors: 0,
    });
  });

  it('returns undefined on output that is not a pan summary', () => {
    expect(parsePan('spin: hugetlb-toy.pml:3, Error: syntax error')).toBeUndefined();
  });
});
