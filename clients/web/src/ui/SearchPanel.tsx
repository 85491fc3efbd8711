import { useEffect, useState } from 'react';
import { snowflakeTime, type Message } from '@together/shared';
import { useSession } from '../context';
import { describeError } from '../session';
import { describeResultCount, parseSearch } from '../search';
import { Markdown } from '../markdown';
import { AttachmentNames } from './Attachments';
import { mentionNames } from './ChatView';

/** Results of a guild message search, shown where the member list is. */
export function SearchPanel({ guildId, text, onClose, onOpen }: { guildId: string; text: string; onClose: () => void; onOpen: (channelId: string, messageId: string) => void }) {
  const session = useSession();
  const { data } = session;
  const names = mentionNames(data, guildId);
  const [state, setState] = useState<{ total: number; messages: Message[] } | { error: string } | null>(null);

  useEffect(() => {
    setState(null);
    const parsed = parseSearch(text, data.members.get(guildId)?.values() ?? [], data.guildChannels(guildId));
    if ('error' in parsed) {
      setState(parsed);
      return;
    }
    let live = true;
    session.rest.search(guildId, { ...parsed.query, limit: 25 }).then(
      (r) => live && setState({ total: r.total_results, messages: r.messages.map((m) => m[0]).filter(Boolean) }),
      (e) => live && setState({ error: describeError(e) }),
    );
    return () => {
      live = false;
    };
  }, [text, guildId, session, data]);

  return (
    <aside className="member-pane search-pane" id="member-pane" aria-label="Search results">
      <header className="search-header">
        <h3 className="category" role="status">
          {state === null ? 'Searching…' : 'error' in state ? 'Search' : describeResultCount(state.total)}
        </h3>
        <button className="icon-button" aria-label="Close search" onClick={onClose}>✕</button>
      </header>
      {state && 'error' in state && <p className="form-error" role="alert">{state.error}</p>}
      {state && 'messages' in state && (
        <ol className="search-results">
          {state.messages.map((m) => (
            <li key={m.id}>
              <button className="search-result" onClick={() => onOpen(m.channel_id, m.id)}>
                <span className="hint">#{data.channels.get(m.channel_id)?.name ?? 'unknown'} · {new Date(snowflakeTime(m.id)).toLocaleString()}</span>
                <span className="author">{data.displayName(m.author.id, guildId)}</span>
                <span className="content"><Markdown text={m.content} names={names} /></span>
                <AttachmentNames m={m} />
              </button>
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
