import { describe, expect, test } from 'vitest';
import { ReadState } from '../src/state/readState';

function storage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}
/** A snowflake for a time in ms since the Unix epoch. */
const at = (ms: number) => ((BigInt(ms - 1420070400000) << 22n)).toString();

describe('read state', () => {
  const T0 = Date.parse('2026-11-25T00:00:00Z');

  test('history older than the first visit is read; newer messages are unread until marked', () => {
    const r = new ReadState(storage(), '1', T0);
    expect(r.isUnread({ id: 'c', last_message_id: at(T0 - 1000) })).toBe(false);
    expect(r.isUnread({ id: 'c', last_message_id: at(T0 + 1000) })).toBe(true);
    r.markRead('c', at(T0 + 1000));
    expect(r.isUnread({ id: 'c', last_message_id: at(T0 + 1000) })).toBe(false);
    expect(r.isUnread({ id: 'c', last_message_id: at(T0 + 2000) })).toBe(true);
    expect(r.isUnread({ id: 'c', last_message_id: null })).toBe(false);
  });

  test('marking never goes backwards and persists per user', () => {
    const s = storage();
    const r = new ReadState(s, '1', T0);
    r.markRead('c', at(T0 + 5000));
    r.markRead('c', at(T0 + 1000));
    const again = new ReadState(s, '1', T0 + 99_999);
    expect(again.lastRead.get('c')).toBe(at(T0 + 5000));
    expect(again.isUnread({ id: 'd', last_message_id: at(T0 + 10) })).toBe(true); // `since` kept from the first visit
    expect(new ReadState(s, '2', T0).lastRead.size).toBe(0);
  });
});
