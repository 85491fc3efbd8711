import { MembersIcon, MenuIcon } from './icons';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { ChannelType } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { ServerRail } from './ServerRail';
import { ChannelSidebar, sidebarOrder } from './ChannelSidebar';
import { ChatView, type JumpTarget } from './ChatView';
import { MemberList } from './MemberList';
import { JoinDialog, CreateDialog } from './Dialogs';
import { SearchPanel } from './SearchPanel';

/** UI-only state (what is selected, which drawer is open) lives here, apart from server data. */
export function Shell({ pendingInvite, clearInvite }: { pendingInvite: string | null; clearInvite: () => void }) {
  const session = useSession();
  const data = session.data;
  useCollection(data.guilds);
  useCollection(data.channels);
  const gatewayState = useSyncExternalStore(session.subscribeState, () => session.gatewayState);

  const [guildId, setGuildId] = useState<string | null>(() => localStorage.getItem('together.ui.guild'));
  const [channelByGuild, setChannelByGuild] = useState<Record<string, string>>({});
  const [drawer, setDrawer] = useState<'none' | 'nav' | 'members'>('none');
  // Unsent text per channel survives switching channels (UI state, this tab only).
  const drafts = useMemo(() => new Map<string, string>(), []);
  const [search, setSearch] = useState<string | null>(null);
  const [searchInput, setSearchInput] = useState('');
  const [jump, setJump] = useState<(JumpTarget & { channelId: string }) | null>(null);
  const [dialog, setDialog] = useState<'none' | 'create' | 'join'>(pendingInvite ? 'join' : 'none');
  // On a computer the member list is a column that the header button shows or hides (kept across
  // reloads, as on Discord); on a phone it is a drawer.
  const phone = useMediaQuery('(max-width: 760px)');
  const [membersHidden, setMembersHidden] = useState(() => localStorage.getItem('together.ui.membersHidden') === '1');
  useEffect(() => localStorage.setItem('together.ui.membersHidden', membersHidden ? '1' : '0'), [membersHidden]);
  const membersShown = phone ? drawer === 'members' : !membersHidden;

  const guild = guildId ? data.guilds.get(guildId) : undefined;
  const channels = guild ? data.guildChannels(guild.id) : [];
  const textChannels = sidebarOrder(channels).filter((c) => c.type === ChannelType.GuildText);
  const chosen = guild ? channelByGuild[guild.id] : undefined;
  const channel =
    (chosen && data.channels.get(chosen)) ||
    (guild?.system_channel_id && data.channels.get(guild.system_channel_id)) ||
    textChannels[0];

  // Fall back to the first guild when the selected one is gone (left, deleted, not loaded).
  useEffect(() => {
    if (guildId && data.guilds.has(guildId)) return;
    const first = data.guilds.keys().next();
    if (!first.done) setGuildId(first.value);
  }, [guildId, data.guilds.version]);

  useEffect(() => {
    if (guildId) localStorage.setItem('together.ui.guild', guildId);
  }, [guildId]);

  // Keyboard: Escape closes an open drawer; Alt+Up/Down moves between text channels (as on Discord).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && drawer !== 'none') setDrawer('none');
      if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown') && channel) {
        const i = textChannels.findIndex((c) => c.id === channel.id);
        const next = textChannels[i + (e.key === 'ArrowUp' ? -1 : 1)];
        if (next) {
          e.preventDefault();
          selectChannel(next.id);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // Opening a drawer moves focus into it; closing returns to the composer.
  useEffect(() => {
    if (drawer === 'nav') document.querySelector<HTMLElement>('#nav-pane .channel.selected, #nav-pane button')?.focus();
    if (drawer === 'members') document.querySelector<HTMLElement>('#member-pane button, #member-pane')?.focus();
  }, [drawer]);

  const selectGuild = (id: string) => {
    setGuildId(id);
  };
  const selectChannel = (id: string) => {
    if (guild) setChannelByGuild((m) => ({ ...m, [guild.id]: id }));
    // A jump belongs to the click on a search result, not to later visits of that channel.
    setJump(null);
    setDrawer('none');
  };

  return (
    <div className={`shell drawer-${drawer}${!phone && membersHidden && search === null ? ' members-hidden' : ''}`}>
      {gatewayState !== 'ready' && gatewayState !== 'idle' && (
        <div className="connection-banner" role="status">
          {gatewayState === 'stopped' ? 'Disconnected.' : 'Connecting…'}
        </div>
      )}
      <div className="nav-pane" id="nav-pane">
        <ServerRail
          selected={guild?.id ?? null}
          onSelect={selectGuild}
          onCreate={() => setDialog('create')}
          onJoin={() => setDialog('join')}
        />
        <ChannelSidebar guild={guild} channelId={channel?.id} onSelect={selectChannel} />
      </div>
      <main className="chat-pane">
        <header className="chat-header">
          <button
            className="icon-button drawer-toggle"
            aria-label="Open servers and channels"
            aria-controls="nav-pane"
            aria-expanded={drawer === 'nav'}
            onClick={() => setDrawer(drawer === 'nav' ? 'none' : 'nav')}
          >
            <MenuIcon />
          </button>
          <h2 className="channel-title">{channel ? <><span aria-hidden="true">#</span>{channel.name}</> : guild ? guild.name : 'Together'}</h2>
          {channel?.topic && <span className="topic">{channel.topic}</span>}
          {guild && (
            <form
              className="search-box"
              role="search"
              onSubmit={(e) => {
                e.preventDefault();
                if (searchInput.trim()) {
                  setSearch(searchInput.trim());
                  setDrawer('members');
                }
              }}
            >
              <input
                aria-label="Search messages (from:, in:, has:)"
                placeholder="Search"
                value={searchInput}
                onChange={(e) => setSearchInput(e.target.value)}
              />
            </form>
          )}
          {guild && (
            <button
              className="icon-button members-toggle"
              aria-label="Show member list"
              aria-controls="member-pane"
              aria-expanded={membersShown}
              aria-pressed={phone ? undefined : membersShown}
              onClick={() => {
                if (phone) setDrawer(drawer === 'members' ? 'none' : 'members');
                else setMembersHidden(!membersHidden);
              }}
            >
              <MembersIcon />
            </button>
          )}
        </header>
        {channel && guild ? (
          <ChatView key={channel.id} channel={channel} guildId={guild.id} drafts={drafts} jumpTo={jump?.channelId === channel.id ? jump : null} />
        ) : !session.everReady ? (
          <div className="empty-state" role="status"><p>Loading…</p></div>
        ) : (
          <div className="empty-state">
            <p>{data.guilds.size ? 'Pick a channel.' : 'You are not in any server yet.'}</p>
            <div className="row">
              <button className="primary" onClick={() => setDialog('create')}>Create a server</button>
              <button onClick={() => setDialog('join')}>Join a server</button>
            </div>
          </div>
        )}
      </main>
      {guild && search !== null ? (
        <SearchPanel
          guildId={guild.id}
          text={search}
          onClose={() => {
            setSearch(null);
            setDrawer('none');
          }}
          onOpen={(channelId, id) => {
            selectChannel(channelId);
            setJump({ channelId, id, n: Date.now() });
          }}
        />
      ) : (
        guild && (phone || !membersHidden) && <MemberList guildId={guild.id} />
      )}
      {drawer !== 'none' && <div className="scrim" aria-hidden="true" onClick={() => setDrawer('none')} />}
      {dialog === 'create' && (
        <CreateDialog
          onClose={() => setDialog('none')}
          onCreated={(id) => {
            setGuildId(id);
            setDialog('none');
          }}
        />
      )}
      {dialog === 'join' && (
        <JoinDialog
          initial={pendingInvite ?? ''}
          onClose={() => {
            clearInvite();
            setDialog('none');
          }}
          onJoined={(id) => {
            clearInvite();
            setGuildId(id);
            setDialog('none');
          }}
        />
      )}
    </div>
  );
}

function useMediaQuery(query: string): boolean {
  const subscribe = useCallback((l: () => void) => {
    const m = window.matchMedia(query);
    m.addEventListener('change', l);
    return () => m.removeEventListener('change', l);
  }, [query]);
  return useSyncExternalStore(subscribe, () => window.matchMedia(query).matches, () => false);
}
