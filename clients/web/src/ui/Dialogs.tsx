import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Invite } from '@together/shared';
import { useSession } from '../context';
import { describeError } from '../session';
import { IconField } from './ProfileSettings';
import { useFocusTrap } from './focus';

/** A modal dialog: labelled, focus moved inside and kept there (Tab cycles), Escape closes, focus returns on close. */
export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const trap = useFocusTrap(ref);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="modal-title"
        ref={ref}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          } else trap(e);
        }}
      >
        <h2 id="modal-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

export function CreateDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const session = useSession();
  const [name, setName] = useState('');
  const [icon, setIcon] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const g = await session.rest.createGuild(name.trim(), icon);
      onCreated(g.id);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title="Create a server" onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          Server name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <IconField value={icon} onChange={setIcon} name={name} />
        {error && <p className="form-error" role="alert">{error}</p>}
        <div className="row end">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy || !name.trim()}>Create</button>
        </div>
      </form>
    </Modal>
  );
}

/** Accepts a bare code or any link ending in /invite/CODE (or /CODE). */
export function inviteCode(input: string): string {
  const s = input.trim();
  const m = /(?:\/invite\/|\/)([A-Za-z0-9-]+)\/?$/.exec(s);
  return m && s.includes('/') ? m[1] : s;
}

export function JoinDialog({ initial, onClose, onJoined }: { initial: string; onClose: () => void; onJoined: (id: string) => void }) {
  const session = useSession();
  const [value, setValue] = useState(initial);
  const [preview, setPreview] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const code = inviteCode(value);

  useEffect(() => {
    setPreview(null);
    if (code.length < 2) return;
    let live = true;
    const t = setTimeout(() => {
      session.rest.invite(code).then((i) => live && setPreview(i), () => undefined);
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [code, session]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const inv = await session.rest.acceptInvite(code);
      onJoined(inv.guild?.id ?? '');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title="Join a server" onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          Invite link or code
          <input value={value} onChange={(e) => setValue(e.target.value)} required placeholder="https://…/invite/AbCd1234" />
        </label>
        {preview?.guild && (
          <p className="invite-preview">
            <strong>{preview.guild.name}</strong>
            {preview.approximate_member_count != null && <> · {preview.approximate_member_count} members</>}
          </p>
        )}
        {error && <p className="form-error" role="alert">{error}</p>}
        <div className="row end">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={busy || !code}>Join Server</button>
        </div>
      </form>
    </Modal>
  );
}

export function InviteDialog({ channelId, onClose }: { channelId: string; onClose: () => void }) {
  const session = useSession();
  const [invite, setInvite] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    session.rest.createInvite(channelId, { max_age: 604800 }).then(setInvite, (e) => setError(describeError(e)));
  }, [channelId, session]);
  const link = invite ? `${location.origin}/invite/${invite.code}` : '';
  return (
    <Modal title="Invite friends" onClose={onClose}>
      {error && <p className="form-error" role="alert">{error}</p>}
      {invite && (
        <>
          <label>
            Invite link
            <input readOnly value={link} data-invite-code={invite.code} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <p className="hint">Code: <code>{invite.code}</code> · expires in 7 days</p>
          <div className="row end">
            <button type="button" onClick={() => navigator.clipboard?.writeText(link).catch(() => undefined)}>Copy</button>
            <button type="button" className="primary" onClick={onClose}>Done</button>
          </div>
        </>
      )}
    </Modal>
  );
}
