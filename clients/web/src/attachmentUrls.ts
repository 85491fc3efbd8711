// Signed attachment URLs expire (a day to a day and a half): a message loaded yesterday holds
// links that now answer 404. When one fails to load, the client asks for fresh ones (Discord's
// POST /attachments/refresh-urls) and stores them on the message, so every view of that
// attachment, the lightbox included, uses the new link.
import type { RestClient, Snowflake } from '@together/shared';
import type { ServerData } from './state/data';

/**
 * Fetches a fresh URL for one attachment of a stored message and writes it into the store.
 * Resolves false when the server gave none (deleted, or no longer readable).
 */
export async function refreshAttachmentUrl(
  rest: Pick<RestClient, 'refreshUrls'>, data: ServerData, messageId: string, attachmentId: Snowflake, url: string,
): Promise<boolean> {
  let fresh: string | undefined;
  try {
    fresh = (await rest.refreshUrls([url])).get(url);
  } catch {
    return false;
  }
  if (!fresh) return false;
  const refreshed = fresh;
  data.messages.update(messageId, (old) => old && {
    ...old,
    attachments: old.attachments?.map((a) => (a.id === attachmentId ? { ...a, url: refreshed, proxy_url: refreshed } : a)),
  });
  return true;
}
