/**
 * `mmcheck check --profile NAME`: a subsystem's named scenario sets replace the
 * defaults; --scenario finds profile scenarios; a variant runs in every
 * scenario of the profile; an unknown profile is a usage error.
 */
import { describe, expect, test } from 'vitest';
import { selectJobs } from '../../cli/select.js';
import { registry } from '../../subsystems/index.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';

describe('check --profile', () => {
  const deep = hugetlb.profiles?.deep ?? [];

  test('hugetlb has a deep profile of menu scenarios, none of them a default', () => {
    expect(deep.length).toBeGreaterThan(0);
    for (const s of deep) expect(hugetlb.scenarios.some((d) => d.name === s.name)).toBe(false);
  });

  test('the profile replaces the defaults, and only subsystems that have it run', () => {
    const jobs = selectJobs(registry, [], { profile: 'deep' });
    expect(jobs.map((j) => `${j.sub.name}/${j.scenario.name}`)).toEqual(deep.map((s) => `hugetlb/${s.name}`));
  });

  test('--scenario finds a profile scenario; a variant runs in every profile scenario', () => {
    const one = selectJobs(registry, ['hugetlb'], { scenario: deep[0]!.name });
    expect(one.map((j) => j.scenario.name)).toEqual([deep[0]!.name]);
    const v = selectJobs(registry, ['hugetlb'], { profile: 'deep', variant: 'df7a6d1f6405' });
    expect(v.map((j) => j.scenario.name)).toEqual(deep.map((s) => s.name));
    expect(v.every((j) => j.variant === 'df7a6d1f6405')).toBe(true);
  });

  test('an unknown profile or a profile with --scenario-file is a usage error', () => {
    expect(() => selectJobs(registry, ['hugetlb'], { profile: 'nope' })).toThrow(
      /unknown profile 'nope' \(known: deep\)/,
    );
    expect(() => selectJobs(registry, ['hugetlb'], { profile: 'deep', 'scenario-file': 'x.json' })).toThrow(
      /--profile does not apply to --scenario-file/,
    );
  });
});
