import { useSyncExternalStore } from 'react';

/**
 * An id-keyed store of server data. Values are replaced, never mutated, so a component can keep a
 * value and compare it by reference; `version` changes on every write so React can subscribe.
 */
export class Collection<K, V> {
  private readonly map = new Map<K, V>();
  private readonly listeners = new Set<() => void>();
  private _version = 0;
  private batching = 0;
  private dirty = false;

  get version() {
    return this._version;
  }
  get size() {
    return this.map.size;
  }
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  has(key: K) {
    return this.map.has(key);
  }
  values() {
    return this.map.values();
  }
  entries() {
    return this.map.entries();
  }
  keys() {
    return this.map.keys();
  }

  set(key: K, value: V) {
    this.map.set(key, value);
    this.changed();
  }

  /** Replaces the value with `fn(old)`; `fn` returning undefined deletes it. */
  update(key: K, fn: (old: V | undefined) => V | undefined) {
    const next = fn(this.map.get(key));
    if (next === undefined) this.map.delete(key);
    else this.map.set(key, next);
    this.changed();
  }

  delete(key: K) {
    if (this.map.delete(key)) this.changed();
  }

  clear() {
    this.map.clear();
    this.changed();
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Group several writes into one notification. */
  batch(fn: () => void) {
    this.batching++;
    try {
      fn();
    } finally {
      if (--this.batching === 0 && this.dirty) {
        this.dirty = false;
        this.notify();
      }
    }
  }

  private changed() {
    this._version++;
    if (this.batching) this.dirty = true;
    else this.notify();
  }

  private notify() {
    for (const l of [...this.listeners]) l();
  }
}

/** Re-render when the collection changes; returns its version (use it as a memo key). */
export function useCollection<K, V>(c: Collection<K, V>): number {
  // The third argument lets components that read stores render on the server too (unit tests).
  return useSyncExternalStore(c.subscribe, () => c.version, () => c.version);
}
