import { useCallback, useRef, useState, type DragEvent, type ReactNode } from 'react';
import {
  attachmentKind, fitSize, formatBytes, isSpoiler, thumbnailUrl, type Attachment, type Snowflake,
} from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import type { StoredMessage } from '../state/data';
import { filesOf, type DraftFile } from '../upload';
import { refreshAttachmentUrl } from '../attachmentUrls';
import { Lightbox } from './Lightbox';
import { PlusIcon } from './icons';
import './files.css';

/** The box an inline image preview fits in (CSS pixels), as Discord's chat. */
const PREVIEW_W = 400;
const PREVIEW_H = 300;

/**
 * A message's attachments: images as previews sized from their width/height before they load
 * (no jump when they arrive), opening a lightbox; spoilers hidden until clicked; video and audio
 * with the browser's players; anything else as a download card. Names and descriptions are text.
 */
export function Attachments({ m }: { m: StoredMessage }) {
  if (!m.attachments?.length) return null;
  return (
    <div className="attachments">
      {m.attachments.map((a) => <AttachmentView key={a.id} m={m} a={a} />)}
    </div>
  );
}

/**
 * When a link fails to load (expired, most likely), ask for a fresh one once and load again:
 * `attempt` remounts the element, so even an unchanged URL is fetched anew. A second failure
 * shows the file as unavailable.
 */
function useRefresh(m: StoredMessage, a: Attachment) {
  const session = useSession();
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  const refresh = useCallback(() => {
    if (attempt > 0 || m.pending) {
      setFailed(true);
      return;
    }
    void refreshAttachmentUrl(session.rest, session.data, m.id, a.id, a.url).then((ok) => (ok ? setAttempt(1) : setFailed(true)));
  }, [session, m.id, m.pending, a.id, a.url, attempt]);
  return { refresh, failed, attempt };
}

function AttachmentView({ m, a }: { m: StoredMessage; a: Attachment }) {
  const kind = attachmentKind(a);
  const spoiler = isSpoiler(a);
  const { refresh, failed, attempt } = useRefresh(m, a);
  if (kind === 'image') return <ImageAttachment attempt={attempt} a={a} spoiler={spoiler} refresh={refresh} failed={failed} />;
  if (kind === 'video') {
    const size = a.width && a.height ? fitSize(a.width, a.height, PREVIEW_W, PREVIEW_H) : undefined;
    return (
      <Spoiler hidden={spoiler} what="video">
        <video key={attempt} className="attachment-video" controls preload="metadata" src={a.url} width={size?.width} height={size?.height} onError={refresh} aria-label={a.description || a.filename} />
      </Spoiler>
    );
  }
  return (
    <div className={`attachment-file${spoiler ? ' spoiler-file' : ''}`}>
      <FileIcon type={a.content_type} />
      <div className="attachment-file-info">
        <a href={a.url} download={a.filename} rel="noopener noreferrer" className="attachment-file-name">{a.filename}</a>
        <span className="hint">{formatBytes(a.size)}{spoiler ? ' · spoiler' : ''}</span>
        {a.description && <span className="attachment-description">{a.description}</span>}
        {kind === 'audio' && <audio key={attempt} controls preload="metadata" src={a.url} onError={refresh} aria-label={a.description || a.filename} />}
      </div>
      <a className="icon-button attachment-download" href={a.url} download={a.filename} aria-label={`Download ${a.filename}`}>
        <DownloadIcon />
      </a>
    </div>
  );
}

/** Hidden behind a blur until clicked (or Enter/Space), as Discord's spoiler attachments. */
function Spoiler({ hidden, what, children }: { hidden: boolean; what: string; children: ReactNode }) {
  const [shown, setShown] = useState(!hidden);
  if (shown) return <>{children}</>;
  return (
    <div className="spoiler-attachment">
      <div className="spoiler-blur" aria-hidden="true">{children}</div>
      <button className="spoiler-reveal" aria-label={`Spoiler ${what}: reveal`} onClick={() => setShown(true)}>SPOILER</button>
    </div>
  );
}

function ImageAttachment({ a, spoiler, refresh, failed, attempt }: { a: Attachment; spoiler: boolean; refresh: () => void; failed: boolean; attempt: number }) {
  const [open, setOpen] = useState(false);
  const size = fitSize(a.width ?? PREVIEW_W, a.height ?? PREVIEW_H, PREVIEW_W, PREVIEW_H);
  const src = thumbnailUrl(a, size.width, size.height, typeof window === 'undefined' ? 1 : window.devicePixelRatio);
  const alt = a.description || a.filename;
  if (failed) {
    return (
      <div className="attachment-image broken" style={{ width: size.width, aspectRatio: `${size.width} / ${size.height}` }} role="img" aria-label={`${a.filename}: no longer available`}>
        <span className="hint">This image is no longer available.</span>
      </div>
    );
  }
  const img = <img key={attempt} src={src} alt={alt} width={size.width} height={size.height} loading="lazy" draggable={false} onError={refresh} />;
  return (
    <>
      <Spoiler hidden={spoiler} what="image">
        <button className="attachment-image" style={{ width: size.width, aspectRatio: `${size.width} / ${size.height}` }} aria-label={`Open image ${a.filename}`} onClick={() => setOpen(true)}>
          {img}
        </button>
      </Spoiler>
      {open && <Lightbox attachment={a} onClose={() => setOpen(false)} onError={refresh} />}
    </>
  );
}

function FileIcon({ type }: { type?: string }) {
  const t = type ?? '';
  const label = t.startsWith('audio/') ? '♪' : t.startsWith('text/') ? 'TXT' : t.includes('zip') || t.includes('compressed') ? 'ZIP' : t === 'application/pdf' ? 'PDF' : 'FILE';
  return <span className="file-icon" aria-hidden="true">{label}</span>;
}

function DownloadIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M12 3v12M7 10l5 5 5-5M5 21h14" />
    </svg>
  );
}

/** Under an optimistic message with files: what is being sent, how far, and Cancel. */
export function UploadStatus({ m }: { m: StoredMessage }) {
  const session = useSession();
  const sender = filesOf(session);
  useCollection(sender.progress);
  if (!sender.owns(m.id)) return null;
  const names = sender.fileNames(m.id);
  const p = sender.progress.get(m.id);
  const what = names.length === 1 ? names[0] : `${names.length} files`;
  if (!p) {
    // Failed: the error and Retry/Discard are shown by the message row.
    return <div className="upload-status failed"><FileIcon /> <span className="upload-name">{what}</span></div>;
  }
  const percent = p.total ? Math.min(100, Math.floor((p.loaded / p.total) * 100)) : 0;
  return (
    <div className="upload-status">
      <FileIcon />
      <div className="upload-body">
        <span className="upload-name">{what}</span>
        <div className="upload-bar" role="progressbar" aria-label={`Uploading ${what}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
          <div style={{ width: `${percent}%` }} />
        </div>
        <span className="hint">{percent < 100 ? `${formatBytes(p.loaded)} of ${formatBytes(p.total)}` : 'Processing…'}</span>
      </div>
      <button className="icon-button" aria-label={`Cancel upload of ${what}`} onClick={() => sender.cancel(m.channel_id, m.id)}>✕</button>
    </div>
  );
}

/** Adds files to the channel's tray; a refusal (too many, too large) is shown until the next try. */
export function useAddFiles(channelId: Snowflake) {
  const session = useSession();
  const sender = filesOf(session);
  const [error, setError] = useState<string | null>(null);
  const add = useCallback((files: ArrayLike<File>) => {
    if (!files.length) return;
    setError(sender.drafts.add(channelId, Array.from(files)));
  }, [sender, channelId]);
  return { add, error, clearError: () => setError(null) };
}

/** The composer's + button: a file picker for any number of files. */
export function AttachButton({ onFiles, disabled }: { onFiles: (files: FileList) => void; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" className="icon-button attach-button" aria-label="Upload a file" title="Upload a file" disabled={disabled} onClick={() => input.current?.click()}>
        <PlusIcon />
      </button>
      <input
        ref={input}
        type="file"
        multiple
        className="sr-only"
        tabIndex={-1}
        aria-label="Upload files"
        disabled={disabled}
        onChange={(e) => {
          if (e.target.files) onFiles(e.target.files);
          e.target.value = '';
        }}
      />
    </>
  );
}

/** The files waiting to go with the next message: thumbnail or name, size, spoiler, description, remove. */
export function UploadTray({ channelId }: { channelId: Snowflake }) {
  const session = useSession();
  const { drafts } = filesOf(session);
  useCollection(drafts.byChannel);
  const list = drafts.get(channelId);
  if (!list.length) return null;
  return (
    <ul className="upload-tray" aria-label="Files to upload">
      {list.map((f) => <TrayItem key={f.id} f={f} channelId={channelId} />)}
    </ul>
  );
}

function TrayItem({ f, channelId }: { f: DraftFile; channelId: Snowflake }) {
  const session = useSession();
  const { drafts } = filesOf(session);
  const [describing, setDescribing] = useState(false);
  return (
    <li className="tray-item" aria-label={f.name}>
      <div className={`tray-preview${f.spoiler ? ' spoiler' : ''}`}>
        {f.previewUrl ? <img src={f.previewUrl} alt="" /> : <FileIcon type={f.type} />}
        {f.spoiler && <span className="tray-spoiler-tag">SPOILER</span>}
      </div>
      <span className="tray-name" title={f.name}>{f.name}</span>
      <span className="hint">{formatBytes(f.size)}</span>
      {describing ? (
        <input
          className="tray-description"
          aria-label={`Description of ${f.name}`}
          placeholder="Describe it (alt text)"
          maxLength={1024}
          autoFocus
          value={f.description}
          onChange={(e) => drafts.update(channelId, f.id, { description: e.target.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === 'Escape') {
              e.preventDefault();
              setDescribing(false);
            }
          }}
          onBlur={() => setDescribing(false)}
        />
      ) : f.description ? <span className="tray-description-text">{f.description}</span> : null}
      <div className="tray-actions" role="group" aria-label={`${f.name} actions`}>
        <button type="button" className="icon-button" aria-pressed={f.spoiler} aria-label={`Mark ${f.name} as spoiler`} title="Spoiler"
          onClick={() => drafts.update(channelId, f.id, { spoiler: !f.spoiler })}>
          <EyeIcon />
        </button>
        <button type="button" className="icon-button" aria-label={`Describe ${f.name}`} title="Description" onClick={() => setDescribing(true)}>
          <TextIcon />
        </button>
        <button type="button" className="icon-button danger" aria-label={`Remove ${f.name}`} title="Remove" onClick={() => drafts.remove(channelId, f.id)}>✕</button>
      </div>
    </li>
  );
}

function EyeIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12zM12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6" />
    </svg>
  );
}

function TextIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M4 6h16M4 12h16M4 18h10" />
    </svg>
  );
}

/**
 * Drag and drop onto the whole chat: an overlay says where the files go while something with
 * files is dragged over it. Returns the handlers for the drop target and the overlay.
 */
export function useDropZone(channelName: string, enabled: boolean, onFiles: (files: FileList) => void) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const hasFiles = (e: DragEvent) => [...e.dataTransfer.types].includes('Files');
  // Files dragged here are always taken (else the browser would leave the app to open the file);
  // where they cannot be uploaded, the cursor says so and the drop does nothing.
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (!enabled) return;
      depth.current++;
      setOver(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = enabled ? 'copy' : 'none';
    },
    onDragLeave: (e: DragEvent) => {
      if (!enabled || !hasFiles(e)) return;
      // dragleave fires for every child entered: only the last one out hides the overlay.
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    },
    onDrop: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setOver(false);
      if (enabled && e.dataTransfer.files.length) onFiles(e.dataTransfer.files);
    },
  };
  const overlay = over ? (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-card">
        <strong>Upload to #{channelName}</strong>
        <span>Drop files here; you can add a comment before sending.</span>
      </div>
    </div>
  ) : null;
  return { handlers, overlay };
}

/** Attachment names as one line of text, where messages are listed without their files drawn (search, pins). */
export function AttachmentNames({ m }: { m: { attachments?: Attachment[] } }) {
  if (!m.attachments?.length) return null;
  return <span className="hint attachment-names">Attachments: {m.attachments.map((a) => a.filename).join(', ')}</span>;
}
