// Uploads that report progress. fetch() cannot tell how much of a request body has been sent
// (streaming request bodies need HTTP/2 and are not in every browser), XMLHttpRequest can:
// `xhr.upload.onprogress`. RestClient takes any function of this shape, so tests and non-browser
// clients can pass their own.

export interface UploadRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: FormData;
  /** Bytes of the request body sent so far, of `total`. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface UploadResponse {
  status: number;
  statusText: string;
  text: string;
  header(name: string): string | null;
}

export type UploadFn = (r: UploadRequest) => Promise<UploadResponse>;

/** The user cancelled the upload (AbortSignal). */
export class UploadCancelledError extends Error {
  constructor() {
    super('Upload cancelled');
    this.name = 'UploadCancelledError';
  }
}

/** Network failure during an upload (no HTTP answer at all). */
export class UploadNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadNetworkError';
  }
}

export const xhrUpload: UploadFn = (r) =>
  new Promise((resolve, reject) => {
    if (r.signal?.aborted) {
      reject(new UploadCancelledError());
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(r.method, r.url);
    for (const [k, v] of Object.entries(r.headers)) xhr.setRequestHeader(k, v);
    if (r.onProgress) {
      const report = r.onProgress;
      xhr.upload.onprogress = (e) => report(e.loaded, e.lengthComputable ? e.total : 0);
    }
    const onAbort = () => xhr.abort();
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => r.signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText, header: (n) => xhr.getResponseHeader(n) });
    };
    xhr.onerror = () => {
      done();
      reject(new UploadNetworkError('The upload failed: the connection was lost.'));
    };
    xhr.onabort = () => {
      done();
      reject(new UploadCancelledError());
    };
    xhr.send(r.body);
  });
