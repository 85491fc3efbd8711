import { JoinIcon, PlusIcon } from './icons';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { GuildIcon } from './Avatar';

export function ServerRail(props: { selected: string | null; onSelect: (id: string) => void; onCreate: () => void; onJoin: () => void }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.guilds);
  useCollection(data.channels);
  useCollection(session.read.lastRead);
  const unread = (guildId: string) => data.guildChannels(guildId).some((c) => c.type === 0 && session.read.isUnread(c));
  const guilds = [...data.guilds.values()];
  return (
    <nav className="server-rail" aria-label="Servers">
      <ul>
        {guilds.map((g) => (
          <li key={g.id} className={unread(g.id) && g.id !== props.selected ? 'has-unread' : undefined}>
            <button
              className={g.id === props.selected ? 'server-icon selected' : 'server-icon'}
              aria-label={unread(g.id) && g.id !== props.selected ? `${g.name}, unread messages` : g.name}
              aria-current={g.id === props.selected ? 'true' : undefined}
              title={g.name}
              onClick={() => props.onSelect(g.id)}
            >
              <GuildIcon guild={g} />
            </button>
          </li>
        ))}
        <li>
          <button className="server-icon action" aria-label="Create a server" title="Create a server" onClick={props.onCreate}><PlusIcon /></button>
        </li>
        <li>
          <button className="server-icon action" aria-label="Join a server" title="Join a server" onClick={props.onJoin}><JoinIcon /></button>
        </li>
      </ul>
    </nav>
  );
}
