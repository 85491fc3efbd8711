// Files on their way to a channel. Two kinds of state, kept apart as elsewhere in the client:
// the tray of files picked for the composer (UI state, per channel, this tab only) and the
// uploads in flight (an optimistic message per send, with its progress), which end in a real
// message reconciled by nonce exactly as text sends are.
import {
  ApiError, DEFAULT_LIMITS, UploadCancelledError, checkFiles, type Limits, type Message, type OutgoingFile, type RestClient,
  type Snowflake,
} from '@together/shared';
import { Collection } from './state/collection';
import type { ServerData } from './state/data';
import { describeError } from './session';

/** A file in the composer's tray. */
export interface DraftFile {
  id: string;
  file: Blob;
  name: string;
  size: number;
  type: string;
  spoiler: boolean;
  description: string;
  /** An object URL for images, for the tray's thumbnail; revoked when the file leaves the tray. */
  previewUrl?: string;
}

export interface UrlMaker {
  create(b: Blob): string;
  revoke(url: string): void;
}

const browserUrls: UrlMaker = {
  create: (b) => URL.createObjectURL(b),
  revoke: (u) => URL.revokeObjectURL(u),
};

let draftCounter = 0;

/** The composer's tray: files picked, dropped or pasted, per channel, until sent or removed. */
export class DraftFiles {
  readonly byChannel = new Collection<Snowflake, readonly DraftFile[]>();

  constructor(private readonly limits: Limits = DEFAULT_LIMITS, private readonly urls: UrlMaker = browserUrls) {}

  get(channelId: Snowflake): readonly DraftFile[] {
    return this.byChannel.get(channelId) ?? [];
  }

  /** Adds files, or none of them with the reason in words (too many, too large). */
  add(channelId: Snowflake, files: ReadonlyArray<File | (Blob & { name?: string })>): string | null {
    const current = this.get(channelId);
    const named = files.map((f, i) => ({ blob: f, name: nameOf(f, i) }));
    const error = checkFiles(current.length, named.map((f) => ({ name: f.name, size: f.blob.size })), this.limits);
    if (error) return error;
    const added = named.map(({ blob, name }): DraftFile => ({
      id: `draft-${++draftCounter}`,
      file: blob,
      name,
      size: blob.size,
      type: blob.type,
      spoiler: false,
      description: '',
      previewUrl: /^image\/(png|jpeg|gif|webp|bmp|avif)$/.test(blob.type) ? this.urls.create(blob) : undefined,
    }));
    this.byChannel.set(channelId, [...current, ...added]);
    return null;
  }

  update(channelId: Snowflake, id: string, patch: Partial<Pick<DraftFile, 'spoiler' | 'description'>>) {
    this.byChannel.update(channelId, (list) => list?.map((f) => (f.id === id ? { ...f, ...patch } : f)));
  }

  remove(channelId: Snowflake, id: string) {
    const list = this.get(channelId);
    const gone = list.find((f) => f.id === id);
    if (gone?.previewUrl) this.urls.revoke(gone.previewUrl);
    const rest = list.filter((f) => f.id !== id);
    if (rest.length) this.byChannel.set(channelId, rest);
    else this.byChannel.delete(channelId);
  }

  /** Empties the tray and hands its files over (their preview URLs go with them). */
  take(channelId: Snowflake): DraftFile[] {
    const list = [...this.get(channelId)];
    this.byChannel.delete(channelId);
    return list;
  }

  release(files: readonly DraftFile[]) {
    for (const f of files) if (f.previewUrl) this.urls.revoke(f.previewUrl);
  }
}

/**
 * A pasted screenshot arrives as `image.png` (or with no name at all); several in one session
 * would all be called the same, so unnamed and generic names get a time stamp, as Discord does.
 */
export function nameOf(f: Blob & { name?: string }, index = 0, now = new Date()): string {
  const name = f.name?.trim();
  if (name && name !== 'image.png' && name !== 'blob') return name;
  const ext = f.type === 'image/jpeg' ? 'jpg' : f.type.startsWith('image/') ? f.type.slice(6).replace(/\W.*$/, '') : 'bin';
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${f.type.startsWith('image/') ? 'image' : 'file'}_${stamp}${index ? `_${index}` : ''}.${ext}`;
}

export interface UploadProgress {
  loaded: number;
  total: number;
  files: number;
}

/** Words for a failed upload: what the server said, or what it means for files. */
export function describeUploadError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 413) {
      // The server names the file when one is over its limit ("Request entity too large: x is
      // over the 25 MB limit."); a whole request over its cap gets the bare phrase.
      return /too large:/i.test(e.message) ? e.message : 'The upload is too large for this server.';
    }
    if (e.status === 403 && e.code === 50013) return 'You do not have permission to attach files in this channel.';
    if (e.code === 50035 && e.fieldErrors.length) {
      return e.fieldErrors.map((f) => (/^files/.test(f.path) ? `Too many files: ${f.message}` : f.path ? `${f.path}: ${f.message}` : f.message)).join(' ');
    }
  }
  return describeError(e);
}

let nonceCounter = 0;
function makeNonce() {
  return `f${Date.now().toString(36)}${(nonceCounter++ % 1296).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 25);
}

/**
 * Sends messages with files for one session: an optimistic copy (`pending:<nonce>`, as text
 * sends) shows at once with its upload progress; the REST answer or the gateway echo with the
 * same nonce replaces it. Cancel aborts the request and takes the copy away; a failed send keeps
 * its files so Retry sends them again under the same nonce (`enforce_nonce`: never twice).
 */
export class FileSender {
  readonly drafts: DraftFiles;
  readonly progress = new Collection<string, UploadProgress>();
  private readonly sending = new Map<string, { files: DraftFile[]; replyTo?: Snowflake; abort?: AbortController }>();

  constructor(private readonly rest: RestClient, private readonly data: ServerData, limits?: Limits, urls?: UrlMaker) {
    this.drafts = new DraftFiles(limits, urls);
  }

  /** True for optimistic messages that carry files (their Retry goes through here). */
  owns(key: string) {
    return this.sending.has(key);
  }

  fileNames(key: string): string[] {
    return this.sending.get(key)?.files.map((f) => f.name) ?? [];
  }

  async send(channelId: Snowflake, content: string, files: DraftFile[], replyTo?: Snowflake, retryNonce?: string): Promise<void> {
    const nonce = retryNonce ?? makeNonce();
    const key = `pending:${nonce}`;
    const abort = new AbortController();
    this.sending.set(key, { files, replyTo, abort });
    const local = this.data.localMessage(channelId, content, nonce, replyTo);
    const total = files.reduce((n, f) => n + f.size, 0);
    this.progress.set(key, { loaded: 0, total, files: files.length });
    this.data.messages.set(key, local);
    this.data.timelines.update(channelId, (t) => {
      const base = t ?? { ids: [], pending: [], hasMore: false };
      return { ...base, pending: base.pending.includes(key) ? base.pending : [...base.pending, key] };
    });
    const outgoing: OutgoingFile[] = files.map((f) => ({ file: f.file, name: f.name, spoiler: f.spoiler, description: f.description }));
    try {
      const m = await this.rest.sendMessageWithFiles(
        channelId,
        { content, nonce, enforce_nonce: true, ...(replyTo ? { message_reference: { message_id: replyTo } } : {}) },
        outgoing,
        {
          signal: abort.signal,
          // The request body is a little larger than the files (multipart headers, JSON): use its own total.
          onProgress: (loaded, all) => this.progress.set(key, { loaded, total: all || total, files: files.length }),
        },
      );
      this.finish(key);
      this.reconcile(channelId, key, m);
    } catch (e) {
      if (e instanceof UploadCancelledError) return;
      this.progress.delete(key);
      const entry = this.sending.get(key);
      if (entry) entry.abort = undefined;
      this.data.messages.update(key, (old) => old && { ...old, pending: 'failed', error: describeUploadError(e) });
    }
  }

  /** Stops an upload in flight, or drops a failed one: the optimistic copy goes away. */
  cancel(channelId: Snowflake, key: string) {
    this.sending.get(key)?.abort?.abort();
    this.finish(key);
    this.data.messages.delete(key);
    this.data.timelines.update(channelId, (t) => t && { ...t, pending: t.pending.filter((p) => p !== key) });
  }

  retry(channelId: Snowflake, key: string) {
    const entry = this.sending.get(key);
    const m = this.data.messages.get(key);
    if (!entry || !m) return;
    void this.send(channelId, m.content, entry.files, entry.replyTo, String(m.nonce));
  }

  private finish(key: string) {
    const entry = this.sending.get(key);
    this.sending.delete(key);
    this.progress.delete(key);
    if (entry) this.drafts.release(entry.files);
  }

  private reconcile(channelId: Snowflake, key: string, m: Message) {
    const t = this.data.timelines.get(channelId);
    if (t?.pending.includes(key)) {
      this.data.messages.delete(key);
      this.data.timelines.set(channelId, { ...t, pending: t.pending.filter((p) => p !== key) });
    }
    if (!this.data.messages.has(m.id)) this.data.addMessages(channelId, [m]);
  }
}

const senders = new WeakMap<object, FileSender>();

/** The session's file sender, made on first use (kept beside the session, not in it). */
export function filesOf(session: { rest: RestClient; data: ServerData }): FileSender {
  let s = senders.get(session);
  if (!s) {
    s = new FileSender(session.rest, session.data);
    senders.set(session, s);
  }
  return s;
}
