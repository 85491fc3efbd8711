import type { Member } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';

export function MemberList({ guildId }: { guildId: string }) {
  const { data } = useSession();
  useCollection(data.members);
  useCollection(data.presences);
  useCollection(data.roles);
  useCollection(data.users);
  const members = [...(data.members.get(guildId)?.values() ?? [])].filter((m) => m.user);
  const name = (m: Member) => data.displayName(m.user!.id, guildId);
  const status = (m: Member) => data.presences.get(m.user!.id) ?? 'offline';
  const sorted = members.sort((a, b) => name(a).localeCompare(name(b)));
  const online = sorted.filter((m) => status(m) !== 'offline');
  const offline = sorted.filter((m) => status(m) === 'offline');

  const row = (m: Member) => {
    const s = status(m);
    return (
      <li key={m.user!.id} className={s === 'offline' ? 'member offline' : 'member'} data-user-id={m.user!.id}>
        <span className={`avatar status-${s}`} aria-hidden="true">{[...name(m)][0]?.toUpperCase()}</span>
        <span className="member-name" style={{ color: data.roleColor(m.user!.id, guildId) }}>{name(m)}</span>
        <span className="sr-only">, {s === 'dnd' ? 'do not disturb' : s}</span>
      </li>
    );
  };
  return (
    <aside className="member-pane" id="member-pane" aria-label="Members">
      <h3 className="category">Online — {online.length}</h3>
      <ul>{online.map(row)}</ul>
      <h3 className="category">Offline — {offline.length}</h3>
      <ul>{offline.map(row)}</ul>
    </aside>
  );
}
