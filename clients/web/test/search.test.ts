import { describe, expect, test } from 'vitest';
import type { Channel, Member } from '@together/shared';
import { describeResultCount, parseSearch } from '../src/search';

const members: Member[] = [
  { user: { id: '1', username: 'alice' }, roles: [], joined_at: '' },
  { user: { id: '2', username: 'bob', global_name: 'Bobby' }, roles: [], joined_at: '', nick: 'B-man' },
];
const channels: Channel[] = [
  { id: '10', type: 0, name: 'general', position: 0 },
  { id: '11', type: 2, name: 'voice', position: 1 },
];

describe('search syntax', () => {
  test('from:, in:, has: and words', () => {
    expect(parseSearch('from:Alice in:#general has:link cat pics', members, channels)).toEqual({
      query: { author_id: '1', channel_id: '10', has: 'link', content: 'cat pics' },
    });
  });
  test('from: matches global names and nicknames', () => {
    expect(parseSearch('from:bobby', members, channels)).toEqual({ query: { author_id: '2' } });
    expect(parseSearch('from:@b-man', members, channels)).toEqual({ query: { author_id: '2' } });
  });
  test('unknown names and kinds are errors', () => {
    expect(parseSearch('from:carol', members, channels)).toEqual({ error: 'No member called "carol".' });
    expect(parseSearch('in:voice', members, channels)).toEqual({ error: 'No text channel called "voice".' });
    expect(parseSearch('has:gif', members, channels)).toHaveProperty('error');
    expect(parseSearch('   ', members, channels)).toHaveProperty('error');
  });
});

describe('result count', () => {
  test('singular, plural, and the server\'s cap', () => {
    expect(describeResultCount(0)).toBe('0 results');
    expect(describeResultCount(1)).toBe('1 result');
    expect(describeResultCount(4962)).toBe('4,962 results');
    expect(describeResultCount(9999)).toBe('9,999 results');
    expect(describeResultCount(10000)).toBe('10,000+ results');
  });
});
