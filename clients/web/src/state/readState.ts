import { compareIds, snowflakeTime, type Channel, type KeyValueStorage, type Snowflake } from '@together/shared';
import { Collection } from './collection';

/**
 * What this user has read, per channel (UI state, kept in localStorage per user, not server data).
 * A channel never opened counts as read up to the moment this browser first saw the account, so a
 * first login does not light up every channel with old history.
 */
export class ReadState {
  readonly lastRead = new Collection<Snowflake, Snowflake>();
  private readonly key: string;
  private readonly since: number;

  constructor(private readonly storage: KeyValueStorage, userId: Snowflake, now = Date.now()) {
    this.key = `together.read.${userId}`;
    let saved: { since?: number; read?: Record<string, string> } = {};
    try {
      saved = JSON.parse(storage.getItem(this.key) ?? '{}');
    } catch {
      // Start afresh.
    }
    this.since = saved.since ?? now;
    for (const [k, v] of Object.entries(saved.read ?? {})) this.lastRead.set(k, v);
    if (saved.since === undefined) this.save();
  }

  isUnread(channel: Pick<Channel, 'id' | 'last_message_id'>): boolean {
    const last = channel.last_message_id;
    if (!last) return false;
    const read = this.lastRead.get(channel.id);
    if (read) return compareIds(last, read) > 0;
    return snowflakeTime(last) > this.since;
  }

  markRead(channelId: Snowflake, messageId: Snowflake) {
    const cur = this.lastRead.get(channelId);
    if (cur && compareIds(cur, messageId) >= 0) return;
    this.lastRead.set(channelId, messageId);
    this.save();
  }

  private save() {
    this.storage.setItem(this.key, JSON.stringify({ since: this.since, read: Object.fromEntries(this.lastRead.entries()) }));
  }
}
