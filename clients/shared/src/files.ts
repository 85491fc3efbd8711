// Attachments, avatars and guild icons: the pure parts (limits, multipart bodies, CDN URLs),
// shared by every client. Shapes and paths are Discord's.
import type { Attachment, Snowflake } from './types';

/** The server's defaults (Files:MaxUploadBytes, Files:MaxFilesPerMessage), as Discord's free tier. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
export const MAX_FILES = 10;
/** Avatars and icons: the decoded data URI, as the server checks it. */
export const MAX_AVATAR_BYTES = 10 * 1024 * 1024;
/** Discord's attachment flag IS_SPOILER. */
export const SPOILER_FLAG = 1 << 3;
const SPOILER_PREFIX = 'SPOILER_';

/** A file the user is about to send, with what the attachment entry says about it. */
export interface OutgoingFile {
  file: Blob;
  /** The name to send; the spoiler prefix is added by `spoiler`, not here. */
  name: string;
  description?: string;
  spoiler?: boolean;
}

export interface MessagePayload {
  content?: string;
  nonce?: string;
  enforce_nonce?: boolean;
  message_reference?: { message_id: Snowflake };
}

export interface Limits {
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_LIMITS: Limits = { maxBytes: MAX_UPLOAD_BYTES, maxFiles: MAX_FILES };

/** "1.5 MB", "820 KB", "12 bytes": binary units under decimal-looking names, as Discord shows them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : Math.round(v * 10) / 10} ${units[i]}`;
}

/**
 * Why these files cannot be added to `already` files waiting to be sent, in words, or null when
 * they can. Checked before any byte is uploaded; the server checks again (413 / 50035).
 */
export function checkFiles(already: number, files: ReadonlyArray<{ name: string; size: number }>, limits: Limits = DEFAULT_LIMITS): string | null {
  if (already + files.length > limits.maxFiles) {
    return `You can only upload ${limits.maxFiles} files at a time.`;
  }
  const big = files.filter((f) => f.size > limits.maxBytes);
  if (big.length === 1) return `${big[0].name} is too large: files can be up to ${formatBytes(limits.maxBytes)}.`;
  if (big.length > 1) return `${big.length} files are too large: files can be up to ${formatBytes(limits.maxBytes)} each.`;
  return null;
}

/** The name a file is sent under: Discord marks spoilers by the `SPOILER_` prefix. */
export function uploadName(f: Pick<OutgoingFile, 'name' | 'spoiler'>): string {
  const name = f.name || 'file';
  if (!f.spoiler) return name;
  return name.startsWith(SPOILER_PREFIX) ? name : SPOILER_PREFIX + name;
}

/**
 * Discord's multipart message body: `payload_json` with an `attachments` entry per file
 * (`id` = n of the `files[n]` part) and the files themselves. The JSON part comes first so the
 * server knows the message before the (large) files stream in.
 */
export function buildMessageForm(payload: MessagePayload, files: ReadonlyArray<OutgoingFile>): FormData {
  const form = new FormData();
  const attachments = files.map((f, id) => {
    const entry: { id: number; filename: string; description?: string } = { id, filename: uploadName(f) };
    const description = f.description?.trim();
    if (description) entry.description = description;
    return entry;
  });
  form.append('payload_json', new Blob([JSON.stringify({ ...payload, attachments })], { type: 'application/json' }));
  files.forEach((f, n) => form.append(`files[${n}]`, f.file, uploadName(f)));
  return form;
}

/** Spoiler: the IS_SPOILER flag, or a name starting with `SPOILER_` (as Discord decides). */
export function isSpoiler(a: Pick<Attachment, 'filename' | 'flags'>): boolean {
  return ((a.flags ?? 0) & SPOILER_FLAG) !== 0 || a.filename.startsWith(SPOILER_PREFIX);
}

export type AttachmentKind = 'image' | 'video' | 'audio' | 'file';

/** How an attachment is shown: the server sniffs the type, and only images, audio and video are inline. */
export function attachmentKind(a: Pick<Attachment, 'content_type' | 'width' | 'height'>): AttachmentKind {
  const type = (a.content_type ?? '').split(';')[0].trim().toLowerCase();
  if (type.startsWith('image/') && type !== 'image/svg+xml' && a.width && a.height) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

/** The size a preview is drawn at: the image scaled down (never up) to fit the box, aspect kept. */
export function fitSize(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: maxWidth, height: maxHeight };
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Adds query parameters to a URL that may already carry some (signed URLs end with `&`). */
export function withQuery(url: string, params: Record<string, string | number>): string {
  const q = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  if (!q) return url;
  const hash = url.indexOf('#');
  const [head, tail] = hash < 0 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const sep = !head.includes('?') ? '?' : head.endsWith('?') || head.endsWith('&') ? '' : '&';
  return `${head}${sep}${q}${tail}`;
}

/**
 * The thumbnail for an image drawn at `width`×`height` CSS pixels: `proxy_url` with
 * `width=&height=` at the device's pixel ratio (the server rounds up to its boxes, serves WebP,
 * and the original when the image is small already). GIFs come back as they are, still moving.
 */
export function thumbnailUrl(a: Pick<Attachment, 'proxy_url' | 'url'>, width: number, height: number, pixelRatio = 1): string {
  const r = Math.min(Math.max(pixelRatio, 1), 3);
  return withQuery(a.proxy_url || a.url, { width: Math.round(width * r), height: Math.round(height * r) });
}

/** The CDN sizes the server makes: powers of two from 16 to 4096. */
export function cdnSize(px: number): number {
  let size = 16;
  while (size < px && size < 4096) size *= 2;
  return size;
}

export interface CdnOptions {
  /** Origin of the server, '' for the page's own. */
  base?: string;
  /** Animated (`a_`) images as GIF; false gives their still first frame. Default true. */
  animated?: boolean;
  /** Still images: 'webp' (small) or 'png'. Default 'webp'. */
  format?: 'webp' | 'png' | 'jpg';
}

function cdnUrl(kind: 'avatars' | 'icons', id: Snowflake, hash: string, px: number, o: CdnOptions): string {
  const animated = hash.startsWith('a_') && o.animated !== false;
  const ext = animated ? 'gif' : (o.format ?? 'webp');
  return `${o.base ?? ''}/${kind}/${id}/${encodeURIComponent(hash)}.${ext}?size=${cdnSize(px)}`;
}

/** `/avatars/{user}/{hash}.{ext}?size=`, or null when the user has no avatar (show initials). */
export function avatarUrl(userId: Snowflake, hash: string | null | undefined, px = 64, o: CdnOptions = {}): string | null {
  return hash ? cdnUrl('avatars', userId, hash, px, o) : null;
}

/** `/icons/{guild}/{hash}.{ext}?size=`, or null when the guild has no icon (show initials). */
export function guildIconUrl(guildId: Snowflake, hash: string | null | undefined, px = 96, o: CdnOptions = {}): string | null {
  return hash ? cdnUrl('icons', guildId, hash, px, o) : null;
}

/** Reads a file as a `data:` URI, as PATCH /users/@me and /guilds/{id} take images. */
export function readAsDataUri(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file.'));
    reader.readAsDataURL(file);
  });
}

/** Why an image cannot be an avatar or icon, or null. The server sniffs the content again. */
export function checkAvatarFile(f: { type: string; size: number }): string | null {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(f.type)) return 'Pick a PNG, JPEG, GIF or WebP image.';
  if (f.size > MAX_AVATAR_BYTES) return `That image is too large: up to ${formatBytes(MAX_AVATAR_BYTES)}.`;
  return null;
}
