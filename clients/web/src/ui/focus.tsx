import { useEffect, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode, type RefObject } from 'react';

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => e.getClientRects().length > 0);
}

/**
 * A modal's focus, as WAI-ARIA's dialog pattern says: focus moves inside on open (unless an
 * `autoFocus` child already took it), Tab and Shift+Tab cycle within, and on close focus goes
 * back to what had it before (the button that opened the dialog).
 */
export function useFocusTrap(ref: RefObject<HTMLElement | null>) {
  // Read before children's autoFocus runs, so the opener is remembered rather than the dialog's own input.
  const opener = useRef<HTMLElement | null>(typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null));
  useLayoutEffect(() => {
    const root = ref.current;
    const previous = opener.current;
    if (root && !root.contains(document.activeElement)) (focusables(root)[0] ?? root).focus();
    return () => {
      // After the dialog is gone (next frame), unless focus was sent somewhere on purpose meanwhile.
      const back = previous;
      requestAnimationFrame(() => {
        const a = document.activeElement;
        if (back?.isConnected && (!a || a === document.body)) back.focus();
      });
    };
  }, [ref]);
  return (e: KeyboardEvent) => {
    const root = ref.current;
    if (e.key !== 'Tab' || !root) return;
    const list = focusables(root);
    if (!list.length) return;
    const first = list[0];
    const last = list[list.length - 1];
    if (e.shiftKey && (document.activeElement === first || !root.contains(document.activeElement))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
}

/**
 * A drop-down menu (role=menu) as WAI-ARIA's menu button pattern: the first item takes focus,
 * Up/Down/Home/End move between items, Escape closes and returns focus to the button, Tab or a
 * click outside closes. Choosing an item puts focus back on the button first, so a dialog the
 * item opens returns focus there when it closes.
 */
export function Menu({ label, className = 'menu', trigger, onClose, children }: {
  label: string;
  className?: string;
  trigger: RefObject<HTMLElement | null>;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLUListElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  const items = () => [...(ref.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]:not(:disabled)') ?? [])];
  useEffect(() => {
    (items().find((i) => i.getAttribute('aria-checked') === 'true') ?? items()[0])?.focus();
    const outside = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!ref.current?.contains(t) && !trigger.current?.contains(t)) close.current();
    };
    document.addEventListener('pointerdown', outside, true);
    return () => document.removeEventListener('pointerdown', outside, true);
  }, [trigger]);
  const onKeyDown = (e: KeyboardEvent) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLElement);
    let next: HTMLElement | undefined;
    if (e.key === 'ArrowDown') next = list[(i + 1) % list.length];
    else if (e.key === 'ArrowUp') next = list[(i - 1 + list.length) % list.length];
    else if (e.key === 'Home') next = list[0];
    else if (e.key === 'End') next = list[list.length - 1];
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      trigger.current?.focus();
      onClose();
      return;
    } else if (e.key === 'Tab') {
      onClose();
      return;
    } else return;
    e.preventDefault();
    next?.focus();
  };
  return (
    <ul
      className={className}
      role="menu"
      aria-label={label}
      ref={ref}
      onKeyDown={onKeyDown}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('[role^="menuitem"]')) trigger.current?.focus();
      }}
    >
      {children}
    </ul>
  );
}
