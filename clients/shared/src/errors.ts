/** One field error from Discord's `errors` tree, flattened: `path` is like `username` or `messages.0`. */
export interface FieldError {
  path: string;
  code: string;
  message: string;
}

/** A non-2xx answer from the API, carrying Discord's JSON error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly fieldErrors: FieldError[];
  readonly body: unknown;

  constructor(status: number, code: number, message: string, fieldErrors: FieldError[] = [], body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
    this.body = body;
  }

  /** The first message for a field, e.g. `err.field('password')`. */
  field(path: string): string | undefined {
    return this.fieldErrors.find((e) => e.path === path)?.message;
  }
}

/** A 429 that was not (or could no longer be) retried: `retryAfter` is in seconds. */
export class RateLimitError extends ApiError {
  readonly retryAfter: number;
  readonly global: boolean;

  constructor(code: number, message: string, retryAfter: number, global: boolean, body?: unknown) {
    super(429, code, message, [], body);
    this.name = 'RateLimitError';
    this.retryAfter = retryAfter;
    this.global = global;
  }
}

/** The server or network could not be reached at all. */
export class NetworkError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** Discord nests field errors as `{a: {b: {_errors: [...]}}}`; walk it into a flat list. */
export function flattenFieldErrors(tree: unknown, prefix = ''): FieldError[] {
  if (tree === null || typeof tree !== 'object') return [];
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const e of value as Array<{ code?: string; message?: string }>) {
        out.push({ path: prefix, code: String(e.code ?? ''), message: String(e.message ?? '') });
      }
    } else {
      out.push(...flattenFieldErrors(value, prefix ? `${prefix}.${key}` : key));
    }
  }
  return out;
}

/** Builds the typed error for a failed response body. */
export function errorFromBody(status: number, body: unknown, statusText = ''): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const code = typeof b.code === 'number' ? b.code : 0;
  const message = typeof b.message === 'string' ? b.message : `${status}: ${statusText || 'Error'}`;
  if (status === 429) {
    const retry = typeof b.retry_after === 'number' ? b.retry_after : 1;
    return new RateLimitError(code, message, retry, b.global === true, body);
  }
  return new ApiError(status, code, message, flattenFieldErrors(b.errors), body);
}
