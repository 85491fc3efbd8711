import { describe, expect, test } from 'vitest';
import { StorageTokenStore } from '../src';

function storage() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe('StorageTokenStore', () => {
  test('round-trips tokens and clears them', () => {
    const s = storage();
    const store = new StorageTokenStore(s);
    expect(store.load()).toBeNull();
    store.save({ token: 't', refreshToken: 'r', userId: '1', expiresAt: 5 });
    expect(new StorageTokenStore(s).load()).toEqual({ token: 't', refreshToken: 'r', userId: '1', expiresAt: 5 });
    store.clear();
    expect(store.load()).toBeNull();
  });

  test('a corrupt or partial entry counts as logged out', () => {
    const s = storage();
    s.setItem('together.tokens', '{not json');
    expect(new StorageTokenStore(s).load()).toBeNull();
    s.setItem('together.tokens', JSON.stringify({ token: 't' }));
    expect(new StorageTokenStore(s).load()).toBeNull();
  });
});
