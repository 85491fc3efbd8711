import { useRef, useState } from 'react';
import { avatarUrl, checkAvatarFile, guildIconUrl, readAsDataUri } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { describeError } from '../session';
import { Modal } from './Dialogs';
import { initials } from './Avatar';
import './files.css';

/**
 * Picks a square image for an avatar or icon: file picker → data URI → preview cropped to the
 * square the server will keep (the centre) → Save. Remove sends null. The server sniffs and
 * re-encodes the image; the checks here only spare a pointless upload.
 */
function ImageEditor({ what, current, fallback, save }: {
  what: 'avatar' | 'icon';
  current: string | null;
  fallback: string;
  save: (dataUri: string | null) => Promise<unknown>;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = preview ?? current;

  const pick = async (file: File | undefined) => {
    setError(null);
    if (!file) return;
    const problem = checkAvatarFile(file);
    if (problem) {
      setError(problem);
      return;
    }
    try {
      setPreview(await readAsDataUri(file));
    } catch (e) {
      setError(describeError(e));
    }
  };
  const run = async (value: string | null) => {
    setBusy(true);
    setError(null);
    try {
      await save(value);
      setPreview(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  const label = what === 'avatar' ? 'Avatar' : 'Server icon';
  return (
    <div className="image-editor">
      <div className={`image-editor-preview ${what}`} role="img" aria-label={preview ? `New ${label.toLowerCase()} preview` : shown ? `Current ${label.toLowerCase()}` : `No ${label.toLowerCase()}`}>
        {shown ? <img src={shown} alt="" /> : <span aria-hidden="true">{fallback}</span>}
      </div>
      <div className="image-editor-actions">
        <input
          ref={input}
          className="sr-only"
          type="file"
          tabIndex={-1}
          accept="image/png,image/jpeg,image/gif,image/webp"
          aria-label={`Choose ${what === 'avatar' ? 'an avatar' : 'an icon'} image`}
          onChange={(e) => {
            void pick(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
        {preview ? (
          <div className="row">
            <button type="button" className="primary" disabled={busy} onClick={() => void run(preview)}>Save {what === 'avatar' ? 'Avatar' : 'Icon'}</button>
            <button type="button" disabled={busy} onClick={() => setPreview(null)}>Cancel</button>
          </div>
        ) : (
          <div className="row">
            <button type="button" className="primary" disabled={busy} onClick={() => input.current?.click()}>
              Change {what === 'avatar' ? 'Avatar' : 'Icon'}
            </button>
            {current && <button type="button" disabled={busy} onClick={() => void run(null)}>Remove {what === 'avatar' ? 'Avatar' : 'Icon'}</button>}
          </div>
        )}
        <p className="hint">PNG, JPEG, GIF or WebP, up to 10 MB; the centre square is kept. Animated GIFs stay animated.</p>
        {error && <p className="form-error" role="alert">{error}</p>}
      </div>
    </div>
  );
}

/** "My Account": the avatar (more profile fields can join it here). */
export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.users);
  const me = data.selfId ? data.users.get(data.selfId) : undefined;
  if (!me) return null;
  return (
    <Modal title="My Account" onClose={onClose}>
      <ImageEditor
        what="avatar"
        current={avatarUrl(me.id, me.avatar, 256)}
        fallback={[...(me.global_name || me.username)][0]?.toUpperCase() ?? '?'}
        save={async (avatar) => {
          const u = await session.rest.updateMe({ avatar });
          // USER_UPDATE brings the same; applying the answer now makes the change show at once.
          data.users.update(u.id, (old) => ({ ...old, ...u }));
        }}
      />
      <div className="row end"><button onClick={onClose}>Close</button></div>
    </Modal>
  );
}

/** The server icon, in Server Settings → Overview. */
export function GuildIconEditor({ guildId }: { guildId: string }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.guilds);
  const guild = data.guilds.get(guildId);
  if (!guild) return null;
  return (
    <ImageEditor
      what="icon"
      current={guildIconUrl(guild.id, guild.icon, 256)}
      fallback={initials(guild.name)}
      save={async (icon) => {
        const g = await session.rest.updateGuild(guildId, { icon });
        data.guilds.update(g.id, (old) => (old ? { ...old, icon: g.icon } : old));
      }}
    />
  );
}

/** An icon chosen while creating a server: picked and previewed here, sent with the create call. */
export function IconField({ value, onChange, name }: { value: string | null; onChange: (dataUri: string | null) => void; name: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(null);
  const pick = async (file: File | undefined) => {
    setError(null);
    if (!file) return;
    const problem = checkAvatarFile(file);
    if (problem) {
      setError(problem);
      return;
    }
    try {
      onChange(await readAsDataUri(file));
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div className="image-editor">
      <button type="button" className="image-editor-preview icon" aria-label={value ? 'Change the server icon' : 'Add a server icon'} onClick={() => input.current?.click()}>
        {value ? <img src={value} alt="" /> : <span aria-hidden="true">{name.trim() ? initials(name) : '+'}</span>}
      </button>
      <input
        ref={input}
        className="sr-only"
        type="file"
        tabIndex={-1}
        accept="image/png,image/jpeg,image/gif,image/webp"
        aria-label="Choose an icon image"
        onChange={(e) => {
          void pick(e.target.files?.[0]);
          e.target.value = '';
        }}
      />
      <div className="image-editor-actions">
        <p className="hint">An icon is optional: PNG, JPEG, GIF or WebP, up to 10 MB.</p>
        {value && <button type="button" onClick={() => onChange(null)}>Remove Icon</button>}
        {error && <p className="form-error" role="alert">{error}</p>}
      </div>
    </div>
  );
}
