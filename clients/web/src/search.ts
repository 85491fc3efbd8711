import type { Channel, Member, Snowflake } from '@together/shared';

export const HAS_KINDS = ['link', 'file', 'image', 'video', 'sound', 'embed'] as const;

export interface SearchQuery {
  content?: string;
  author_id?: Snowflake;
  channel_id?: Snowflake;
  has?: string;
}

/**
 * Discord's search box syntax: `from:name`, `in:channel` (or `in:#channel`), `has:link` and free
 * words. Names resolve against the guild's members (username, global name or nickname) and
 * channels; an unknown one is an error the user can fix rather than a silent empty result.
 */
export function parseSearch(
  input: string,
  members: Iterable<Member>,
  channels: Iterable<Channel>,
): { query: SearchQuery } | { error: string } {
  const words: string[] = [];
  const query: SearchQuery = {};
  for (const token of input.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(from|in|has):(.+)$/i.exec(token);
    if (!m) {
      words.push(token);
      continue;
    }
    const [, key, raw] = m;
    const value = raw.toLowerCase();
    if (key.toLowerCase() === 'from') {
      const name = value.replace(/^@/, '');
      const found = [...members].find((x) =>
        [x.user?.username, x.user?.global_name, x.nick].some((n) => n?.toLowerCase() === name));
      if (!found?.user) return { error: `No member called "${raw}".` };
      query.author_id = found.user.id;
    } else if (key.toLowerCase() === 'in') {
      const name = value.replace(/^#/, '');
      const found = [...channels].find((c) => c.name.toLowerCase() === name && c.type === 0);
      if (!found) return { error: `No text channel called "${raw}".` };
      query.channel_id = found.id;
    } else {
      if (!(HAS_KINDS as readonly string[]).includes(value)) return { error: `has: takes one of ${HAS_KINDS.join(', ')}.` };
      query.has = value;
    }
  }
  if (words.length) query.content = words.join(' ');
  if (!query.content && !query.author_id && !query.channel_id && !query.has) return { error: 'Type something to search for.' };
  return { query };
}

/** The server stops counting at the last result a client can page to (offset 9,975 + 25). */
export const MAX_COUNTED_RESULTS = 10_000;

/** "1 result", "42 results", "10,000+ results" (the server's count stops there). */
export function describeResultCount(total: number): string {
  if (total >= MAX_COUNTED_RESULTS) return `${MAX_COUNTED_RESULTS.toLocaleString('en-US')}+ results`;
  return `${total.toLocaleString('en-US')} ${total === 1 ? 'result' : 'results'}`;
}
