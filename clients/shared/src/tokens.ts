/** The pair the auth routes return, with the access token's expiry as epoch milliseconds. */
export interface Tokens {
  token: string;
  refreshToken: string;
  expiresAt: number;
  userId: string;
}

/**
 * Where tokens live between page loads. `load` is called again before every refresh, so a store
 * shared between tabs (localStorage) lets a tab pick up a rotation another tab already did.
 */
export interface TokenStore {
  load(): Tokens | null;
  save(tokens: Tokens): void;
  clear(): void;
}

export class MemoryTokenStore implements TokenStore {
  private tokens: Tokens | null;
  constructor(initial: Tokens | null = null) {
    this.tokens = initial;
  }
  load() {
    return this.tokens;
  }
  save(tokens: Tokens) {
    this.tokens = tokens;
  }
  clear() {
    this.tokens = null;
  }
}

/** The subset of the Web Storage API the store needs (localStorage in the browser). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class StorageTokenStore implements TokenStore {
  constructor(
    private readonly storage: KeyValueStorage,
    private readonly key = 'together.tokens',
  ) {}

  load(): Tokens | null {
    const raw = this.storage.getItem(this.key);
    if (!raw) return null;
    try {
      const t = JSON.parse(raw) as Partial<Tokens>;
      if (typeof t.token === 'string' && typeof t.refreshToken === 'string' && typeof t.userId === 'string') {
        return { token: t.token, refreshToken: t.refreshToken, userId: t.userId, expiresAt: Number(t.expiresAt) || 0 };
      }
    } catch {
      // A corrupt entry is treated as logged out.
    }
    return null;
  }

  save(tokens: Tokens) {
    this.storage.setItem(this.key, JSON.stringify(tokens));
  }

  clear() {
    this.storage.removeItem(this.key);
  }
}
