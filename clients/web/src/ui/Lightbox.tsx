import { useEffect, useRef } from 'react';
import { createPortal } from 'react-dom';
import { formatBytes, type Attachment } from '@together/shared';
import './files.css';

/**
 * The full image over everything, as Discord's: Escape, the close button or a click outside the
 * image closes it, focus moves in and returns to the preview that opened it; "Open original"
 * opens the file itself in a new tab.
 */
export function Lightbox({ attachment, onClose, onError }: { attachment: Attachment; onClose: () => void; onError?: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLDivElement>(null);
  // The latest onClose, so a re-render of the message under the lightbox does not move focus.
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        closeRef.current();
      }
    };
    // Capture: Escape must close the lightbox before anything under it (drawers, reply bar) reacts.
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      previous?.focus?.();
    };
  }, []);
  const label = attachment.description || attachment.filename;
  return createPortal(
    <div
      className="lightbox"
      role="dialog"
      aria-modal="true"
      aria-label={`Image: ${attachment.filename}`}
      ref={box}
      onClick={(e) => e.target === e.currentTarget && onClose()}
      onKeyDown={(e) => {
        // Tab stays inside while the lightbox is open (the page under it is out of reach).
        if (e.key !== 'Tab') return;
        const items = [...(box.current?.querySelectorAll<HTMLElement>('a[href], button') ?? [])];
        const i = items.indexOf(document.activeElement as HTMLElement);
        const next = items[(i + (e.shiftKey ? -1 : 1) + items.length) % items.length];
        if (next) {
          e.preventDefault();
          next.focus();
        }
      }}
    >
      <figure className="lightbox-figure" onClick={(e) => e.target === e.currentTarget && onClose()}>
        <img
          src={attachment.url}
          alt={label}
          width={attachment.width ?? undefined}
          height={attachment.height ?? undefined}
          onError={onError}
        />
        <figcaption>
          <span className="lightbox-name">{attachment.filename}</span>
          <span className="hint"> {attachment.width && attachment.height ? `${attachment.width}×${attachment.height} · ` : ''}{formatBytes(attachment.size)}</span>
          {attachment.description && <span className="lightbox-description">{attachment.description}</span>}
          <a href={attachment.url} target="_blank" rel="noopener noreferrer">Open original</a>
        </figcaption>
      </figure>
      <button ref={close} className="icon-button lightbox-close" aria-label="Close image" onClick={onClose}>✕</button>
    </div>,
    document.body,
  );
}
