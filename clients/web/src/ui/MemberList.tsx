import type { Member } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import { UserAvatar } from './Avatar';

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
  // Online members are grouped under their highest hoisted role, as on Discord.
  const hoisted = [...data.roles.values()].filter((r) => r.guild_id === guildId && r.hoist && r.id !== guildId)
    .sort((a, b) => b.position - a.position);
  const groupOf = (m: Member) => hoisted.find((r) => m.roles.includes(r.id))?.id ?? '';
  const groups = [...hoisted.map((r) => ({ id: r.id, name: r.name })), { id: '', name: 'Online' }]
    .map((g) => ({ ...g, members: online.filter((m) => groupOf(m) === g.id) }))
    .filter((g) => g.members.length);

  const row = (m: Member) => {
    const s = status(m);
    return (
      <li key={m.user!.id} className={s === 'offline' ? 'member offline' : 'member'} data-user-id={m.user!.id}>
        <UserAvatar userId={m.user!.id} guildId={guildId} px={32} status={s} />
        <span className="member-name" style={{ color: data.roleColor(m.user!.id, guildId) }}>{name(m)}</span>
        <span className="sr-only">, {s === 'dnd' ? 'do not disturb' : s}</span>
      </li>
    );
  };
  return (
    <aside className="member-pane" id="member-pane" aria-label="Members" tabIndex={-1}>
      {groups.map((g) => (
        <section key={g.id || 'online'} aria-label={`${g.name}, ${g.members.length}`}>
          <h3 className="category">{g.name} — {g.members.length}</h3>
          <ul>{g.members.map(row)}</ul>
        </section>
      ))}
      <h3 className="category">Offline — {offline.length}</h3>
      <ul>{offline.map(row)}</ul>
    </aside>
  );
}
