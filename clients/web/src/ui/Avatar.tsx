import { useState } from 'react';
import { avatarUrl, guildIconUrl, type Guild } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import './files.css';

/** First letter of a name, as the avatar fallback. */
function initial(name: string) {
  return [...name][0]?.toUpperCase() ?? '?';
}

/**
 * A user's avatar (the `avatar` hash from the user object, kept fresh by USER_UPDATE and
 * GUILD_MEMBER_UPDATE), else the first letter of their name on the accent colour. Decorative:
 * the name is always next to it.
 */
export function UserAvatar({ userId, guildId, px = 40, status, className }: {
  userId: string;
  guildId?: string;
  px?: number;
  status?: string;
  className?: string;
}) {
  const { data } = useSession();
  useCollection(data.users);
  const user = data.users.get(userId) ?? (guildId ? data.members.get(guildId)?.get(userId)?.user : undefined);
  const url = user ? avatarUrl(user.id, user.avatar, px * 2) : null;
  const [broken, setBroken] = useState<string | null>(null);
  const show = url && broken !== url;
  const classes = ['avatar', status ? `status-${status}` : '', show ? 'has-image' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <span className={classes} aria-hidden="true" data-avatar={show ? user?.avatar ?? undefined : undefined}>
      {show ? <img src={url} alt="" draggable={false} onError={() => setBroken(url)} /> : initial(data.displayName(userId, guildId))}
    </span>
  );
}

export function initials(name: string) {
  return name.split(/\s+/).filter(Boolean).map((w) => [...w][0]).join('').slice(0, 3) || '?';
}

/** A guild's icon in the server rail, else its initials (as before icons existed). */
export function GuildIcon({ guild, px = 48 }: { guild: Guild; px?: number }) {
  const url = guildIconUrl(guild.id, guild.icon, px * 2);
  const [broken, setBroken] = useState<string | null>(null);
  if (!url || broken === url) return <>{initials(guild.name)}</>;
  return <img className="guild-icon-image" src={url} alt="" draggable={false} onError={() => setBroken(url)} />;
}
