import {describe, expect, it} from 'vitest';

import {versionInForce} from '../../../src/domain/sla/versions.js';

describe('versionInForce', () => {
  const versions = [
    {version: 1, effectiveFrom: 0},
    {version: 3, effectiveFrom: '2026-03-01T00:00:00Z'},
    {version: 2, effectiveFrom: '2026-02-01T00:00:00Z'},
    {version: 4, effectiveFrom: '2026-03-01T00:00:00Z'},
  ];

  it('picks the latest version in force at the instant, the higher version on a tie', () => {
    expect(versionInForce(versions, Date.parse('2026-01-15T00:00:00Z'))?.version).toBe(1);
    expect(versionInForce(versions, Date.parse('2026-02-01T00:00:00Z'))?.version).toBe(2);
    expect(versionInForce(versions, Date.parse('2026-02-28T23:59:59Z'))?.version).toBe(2);
    expect(versionInForce(versions, Date.parse('2026-03-01T00:00:00Z'))?.version).toBe(4);
  });

  it('gives a ticket older than every version the oldest, and nothing for no versions', () => {
    expect(versionInForce(versions.slice(1), 0)?.version).toBe(2);
    expect(versionInForce([], 0)).toBeUndefined();
  });
});
