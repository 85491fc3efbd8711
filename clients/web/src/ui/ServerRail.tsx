import { JoinIcon, PlusIcon } from './icons';
import { useSession } from '../context';
import { useCollection } from '../state/collection';

export function initials(name: string) {
  return name.split(/\s+/).filter(Boolean).map((w) => [...w][0]).join('').slice(0, 3) || '?';
}

export function ServerRail(props: { selected: string | null; onSelect: (id: string) => void; onCreate: () => void; onJoin: () => void }) {
  const { data } = useSession();
  useCollection(data.guilds);
  const guilds = [...data.guilds.values()];
  return (
    <nav className="server-rail" aria-label="Servers">
      <ul>
        {guilds.map((g) => (
          <li key={g.id}>
            <button
              className={g.id === props.selected ? 'server-icon selected' : 'server-icon'}
              aria-label={g.name}
              aria-current={g.id === props.selected ? 'true' : undefined}
              title={g.name}
              onClick={() => props.onSelect(g.id)}
            >
              {initials(g.name)}
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
