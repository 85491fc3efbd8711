import type { RestClient } from './rest';
import type { Message, Snowflake } from './types';

/**
 * After a re-identify the gateway cannot replay what was missed, so fetch it: for each channel,
 * page forward with `after=` from the newest message the client holds until a short page.
 * Returns the missed messages per channel, oldest first.
 */
export async function catchUpMessages(
  rest: Pick<RestClient, 'messages'>,
  cursors: Iterable<[channelId: Snowflake, lastMessageId: Snowflake]>,
  pageSize = 100,
  maxPages = 10,
): Promise<Map<Snowflake, Message[]>> {
  const out = new Map<Snowflake, Message[]>();
  await Promise.all(
    [...cursors].map(async ([channelId, last]) => {
      const got: Message[] = [];
      let after = last;
      for (let page = 0; page < maxPages; page++) {
        let batch: Message[];
        try {
          batch = await rest.messages(channelId, { after, limit: pageSize });
        } catch {
          break; // Lost access to the channel, or it is gone: nothing to add.
        }
        // The API answers newest first; keep oldest first.
        const asc = [...batch].sort(compareIds);
        got.push(...asc);
        if (batch.length < pageSize || asc.length === 0) break;
        after = asc[asc.length - 1].id;
      }
      if (got.length) out.set(channelId, got);
    }),
  );
  return out;
}

/** Snowflakes compare by numeric value; as strings, a shorter one is smaller. */
export function compareIds(a: { id: string } | string, b: { id: string } | string): number {
  const x = typeof a === 'string' ? a : a.id;
  const y = typeof b === 'string' ? b : b.id;
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
}

/** Discord's epoch (2015-01-01) + the timestamp bits of a snowflake. */
export function snowflakeTime(id: Snowflake): number {
  return Number(BigInt(id) >> 22n) + 1420070400000;
}
