/**
 * kernel/model-choice.ts: the booted kernel's release picks the implementation
 * and version conform/reproduce compare with; --impl / --kernel-version
 * override them; bad overrides are errors naming what exists.
 */
import { describe, expect, test } from 'vitest';
import type { Subsystem } from '../../checker/types.js';
import { hugetlb } from '../../subsystems/hugetlb/index.js';
import { thp } from '../../subsystems/thp/index.js';
import { chooseModel, modelLabel, ModelChoiceError, seriesOf } from '../../kernel/model-choice.js';

const pick = (sub: Subsystem, release: string, force = {}) => {
  const m = chooseModel(sub, release, force);
  return `${m.impl ?? '-'} ${m.version ?? '-'}`;
};

describe('chooseModel', () => {
  test('hugetlb: the series of the release, mainline for a newer one, the nearest below otherwise', () => {
    expect(pick(hugetlb, '6.1.192')).toBe('- 6.1');
    expect(pick(hugetlb, '6.12.118+deb12-amd64')).toBe('- 6.12');
    expect(pick(hugetlb, '6.18.0-rc3')).toBe('- mainline');
    expect(pick(hugetlb, '6.6.30')).toBe('- 6.1');
    expect(pick(hugetlb, '5.10.0')).toBe('- 6.1'); // older than every model: the oldest
    expect(chooseModel(hugetlb, '6.6.30').how).toMatch(/nearest modelled version to 6.6.30: 6.1/);
  });

  test('thp: 6.1 is the compound-page implementation, 6.12 the folio one (the most recent design modelling it)', () => {
    expect(pick(thp, '6.1.192')).toBe('compound 6.1');
    expect(pick(thp, '6.12.118+deb12-amd64')).toBe('folio 6.12');
    expect(pick(thp, '6.8.0')).toBe('folio 6.6');
    expect(pick(thp, '5.15.160')).toBe('compound 5.13');
    expect(pick(thp, '6.19.0')).toBe('folio 6.12'); // no mainline model: the newest numbered one
  });

  test('--impl and --kernel-version override either half', () => {
    expect(pick(thp, '6.12.118', { impl: 'compound' })).toBe('compound 6.12');
    expect(pick(thp, '6.12.118', { version: '6.6' })).toBe('folio 6.6');
    expect(pick(hugetlb, '6.1.192', { version: 'mainline' })).toBe('- mainline');
    expect(chooseModel(hugetlb, '6.1.192', { version: 'mainline' }).how).toMatch(/forced/);
    expect(() => chooseModel(thp, '6.1', { impl: 'nope' })).toThrow(ModelChoiceError);
    expect(() => chooseModel(thp, '6.1', { impl: 'folio', version: '6.1' })).toThrow(/models 6.6, 6.12/);
    expect(() => chooseModel(hugetlb, '6.1', { version: '4.4' })).toThrow(/models 6.1, 6.12, mainline/);
  });

  test('labels and series', () => {
    expect(seriesOf('6.12.118')).toBeGreaterThan(seriesOf('6.9')!);
    expect(seriesOf('mainline')).toBeUndefined();
    expect(modelLabel({ impl: 'folio', version: '6.12' })).toBe('impl folio, kernel-version 6.12');
    expect(modelLabel({ version: '6.1' })).toBe('kernel-version 6.1');
  });
});
