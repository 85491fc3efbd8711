import { ChevronIcon, LogoutIcon, SpeakerIcon } from './icons';
import { useRef, useState } from 'react';
import { ChannelType, compareIds, type Channel, type Guild, type Status } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { describeError } from '../session';
import { InviteDialog, Modal } from './Dialogs';
import { UserAvatar } from './Avatar';
import { ProfileDialog } from './ProfileSettings';
import { ServerSettings, settingsTabs } from './ServerSettings';
import { guildPermissions } from '../permissions';
import { Menu } from './focus';
import { VoiceButtons, VoicePanel, VoiceParticipants, canConnect, useVoice } from './Voice';

const byPosition = (a: Channel, b: Channel) => a.position - b.position || compareIds(a.id, b.id);

/** Channels in the order the sidebar shows them: top-level first, then each category's. */
export function sidebarOrder(channels: Channel[]): Channel[] {
  const cats = channels.filter((c) => c.type === ChannelType.GuildCategory).sort(byPosition);
  const loose = channels.filter((c) => c.type !== ChannelType.GuildCategory && !c.parent_id).sort(byPosition);
  return [...loose, ...cats.flatMap((cat) => channels.filter((c) => c.parent_id === cat.id && c.type !== ChannelType.GuildCategory).sort(byPosition))];
}

export function ChannelSidebar({ guild, channelId, onSelect }: { guild?: Guild; channelId?: string; onSelect: (id: string) => void }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.channels);
  useCollection(session.read.lastRead);
  const [menu, setMenu] = useState(false);
  const [inviting, setInviting] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [settings, setSettings] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  useCollection(data.roles);
  useCollection(data.members);
  useCollection(data.voiceStates);
  const voice = useVoice();
  const [error, setError] = useState<string | null>(null);

  const channels = guild ? data.guildChannels(guild.id) : [];
  const categories = channels.filter((c) => c.type === ChannelType.GuildCategory).sort(byPosition);
  const loose = channels.filter((c) => c.type !== ChannelType.GuildCategory && !c.parent_id).sort(byPosition);
  const inCategory = (id: string) => channels.filter((c) => c.parent_id === id && c.type !== ChannelType.GuildCategory).sort(byPosition);
  const isOwner = guild && guild.owner_id === data.selfId;
  const canSettings = !!guild && !!data.selfId && settingsTabs(guildPermissions(data, guild.id, data.selfId)).length > 0;

  const item = (c: Channel) => {
    if (c.type === ChannelType.GuildVoice) return voiceItem(c);
    const unread = c.id !== channelId && session.read.isUnread(c);
    return (
      <li key={c.id}>
        <button
          className={`channel${c.id === channelId ? ' selected' : ''}${unread ? ' unread' : ''}`}
          aria-current={c.id === channelId ? 'page' : undefined}
          onClick={() => onSelect(c.id)}
        >
          <span className="channel-icon" aria-hidden="true">#</span>
          <span>{c.name}</span>
          {unread && <span className="sr-only">, unread</span>}
        </button>
      </li>
    );
  };

  // A voice channel is joined by clicking it (as on Discord); the text channel stays open.
  const voiceItem = (c: Channel) => {
    const here = voice.channelId === c.id && voice.status !== 'idle' && voice.status !== 'failed';
    const allowed = canConnect(data, c);
    return (
      <li key={c.id}>
        <button
          className={`channel voice${here ? ' connected' : ''}`}
          aria-label={`${c.name} (voice channel)${here ? ', connected' : ''}`}
          aria-pressed={here}
          disabled={!allowed}
          title={allowed ? (here ? 'You are here' : 'Join voice') : 'You do not have permission to connect here'}
          onClick={() => guild && void session.voice.join(guild.id, c.id)}
        >
          <span className="channel-icon" aria-hidden="true"><SpeakerIcon /></span>
          <span>{c.name}</span>
        </button>
        {guild && <VoiceParticipants guildId={guild.id} channel={c} />}
      </li>
    );
  };

  return (
    <aside className="channel-sidebar" aria-label="Channels">
      <header className="guild-header">
        <h1>{guild?.name ?? 'Together'}</h1>
        {guild && (
          <button className="icon-button" aria-label="Server menu" aria-haspopup="menu" aria-expanded={menu} ref={menuButton} onClick={() => setMenu(!menu)}>
            <ChevronIcon />
          </button>
        )}
      </header>
      {menu && guild && (
        <Menu label="Server menu" trigger={menuButton} onClose={() => setMenu(false)}>
          <li role="none">
            <button role="menuitem" onClick={() => { setMenu(false); setInviting(true); }} disabled={!channelId}>Invite People</button>
          </li>
          {canSettings && (
            <li role="none">
              <button role="menuitem" onClick={() => { setMenu(false); setSettings(true); }}>Server Settings</button>
            </li>
          )}
          {!isOwner && (
            <li role="none">
              <button role="menuitem" className="danger" onClick={() => { setMenu(false); setLeaving(true); }}>Leave Server</button>
            </li>
          )}
        </Menu>
      )}
      <nav className="channel-list" aria-label={guild ? `${guild.name} channels` : 'Channels'}>
        <ul>{loose.map(item)}</ul>
        {categories.map((cat) => (
          <section key={cat.id} aria-label={cat.name}>
            <h3 className="category">{cat.name}</h3>
            <ul>{inCategory(cat.id).map(item)}</ul>
          </section>
        ))}
      </nav>
      <VoicePanel />
      <UserPanel />
      {settings && guild && <ServerSettings guildId={guild.id} onClose={() => setSettings(false)} />}
      {inviting && channelId && <InviteDialog channelId={channelId} onClose={() => setInviting(false)} />}
      {leaving && guild && (
        <Modal title={`Leave '${guild.name}'`} onClose={() => setLeaving(false)}>
          <p>Are you sure you want to leave <strong>{guild.name}</strong>?</p>
          {error && <p className="form-error" role="alert">{error}</p>}
          <div className="row end">
            <button onClick={() => setLeaving(false)}>Cancel</button>
            <button
              className="danger primary"
              onClick={() =>
                session.rest.leaveGuild(guild.id).then(
                  () => setLeaving(false),
                  (e) => setError(describeError(e)),
                )
              }
            >
              Leave Server
            </button>
          </div>
        </Modal>
      )}
    </aside>
  );
}

const STATUSES: Array<[Status, string]> = [
  ['online', 'Online'],
  ['idle', 'Idle'],
  ['dnd', 'Do Not Disturb'],
  ['invisible', 'Invisible'],
];

function UserPanel() {
  const session = useSession();
  const { data } = session;
  useCollection(data.users);
  useCollection(data.presences);
  const [open, setOpen] = useState(false);
  const [profile, setProfile] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const me = data.selfId ? data.users.get(data.selfId) : undefined;
  const status = (data.selfId && data.presences.get(data.selfId)) || 'online';
  return (
    <footer className="user-panel">
      {/* The avatar and name open the status menu, as on Discord; the icons are voice controls. */}
      <button className="user-button" aria-label={`Set status (${me?.global_name || me?.username || 'you'})`} aria-haspopup="menu" aria-expanded={open} ref={button} onClick={() => setOpen(!open)}>
        {me ? <UserAvatar userId={me.id} px={32} status={status} /> : <span className={`avatar status-${status}`} aria-hidden="true">?</span>}
        <span className="user-name" data-testid="self-name">{me?.global_name || me?.username || '…'}</span>
      </button>
      <VoiceButtons />
      <button className="icon-button" aria-label="Log out" title="Log out" onClick={() => void session.logout()}><LogoutIcon /></button>
      {open && (
        <Menu className="menu status-menu" label="Status" trigger={button} onClose={() => setOpen(false)}>
          {STATUSES.map(([s, label]) => (
            <li role="none" key={s}>
              <button role="menuitemradio" aria-checked={status === s || (s === 'invisible' && status === 'offline')} onClick={() => { session.setStatus(s); setOpen(false); }}>
                <span className={`dot status-${s === 'invisible' ? 'offline' : s}`} aria-hidden="true" /> {label}
              </button>
            </li>
          ))}
          <li role="none"><button role="menuitem" onClick={() => { setOpen(false); setProfile(true); }}>My Account (avatar)</button></li>
        </Menu>
      )}
      {profile && <ProfileDialog onClose={() => setProfile(false)} />}
    </footer>
  );
}
