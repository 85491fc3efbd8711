import { EditIcon, PinIcon, ReplyIcon, SmileIcon, TrashIcon } from './icons';
import { memo, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactElement, type RefObject } from "react";
import { snowflakeTime, type Channel } from '@together/shared';
import { useSession } from '../context';
import { useCollection } from '../state/collection';
import type { ServerData, StoredMessage } from '../state/data';
import { describeError } from '../session';
import { Markdown, type MentionNames } from '../markdown';
import { P, channelPermissions, has } from '../permissions';
import { filesOf } from '../upload';
import { AttachButton, AttachmentNames, Attachments, UploadStatus, UploadTray, useAddFiles, useDropZone } from './Attachments';
import { UserAvatar } from './Avatar';

const GROUP_MS = 7 * 60_000;
const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

function time(m: StoredMessage) {
  return m.pending ? Date.parse(m.timestamp) : snowflakeTime(m.id);
}

function sameDay(a: number, b: number) {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

export function mentionNames(data: ServerData, guildId: string): MentionNames {
  return {
    user: (id) => data.displayName(id, guildId),
    channel: (id) => data.channels.get(id)?.name ?? 'unknown',
    role: (id) => {
      const r = data.roles.get(id);
      return { name: r ? (r.id === guildId ? 'everyone' : r.name) : 'unknown-role', color: r?.color ? `#${r.color.toString(16).padStart(6, '0')}` : undefined };
    },
  };
}

type Anchor = { top: number; atBottom: boolean; firstKey: string | null; firstAt: number };

/** Where an element sits in a scroller's content, independent of how far it is scrolled. */
function contentTop(scroller: HTMLElement, el: HTMLElement) {
  return el.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
}

/** The reader's place; at the bottom only when the newest messages are loaded and in view. */
function place(scroller: HTMLElement, newestLoaded: boolean): Anchor {
  const first = scroller.querySelector<HTMLElement>('li.message[data-key]');
  return {
    top: scroller.scrollTop,
    atBottom: newestLoaded && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40,
    firstKey: first?.dataset.key ?? null,
    firstAt: first ? contentTop(scroller, first) : 0,
  };
}

/** A request to show one message (a search result); `n` tells repeated clicks on the same one apart. */
export type JumpTarget = { id: string; n: number };

export function ChatView({ channel, guildId, drafts, jumpTo }: { channel: Channel; guildId: string; drafts: Map<string, string>; jumpTo?: JumpTarget | null }) {
  const session = useSession();
  const { data } = session;
  useCollection(data.timelines);
  useCollection(data.messages);
  useCollection(data.users);
  useCollection(data.members);
  useCollection(data.roles);
  useCollection(data.guilds);
  const perms = data.selfId ? channelPermissions(data, channel, data.selfId) : 0n;
  const self = data.selfId ? data.members.get(guildId)?.get(data.selfId) : undefined;
  const timedOutUntil = self?.communication_disabled_until && Date.parse(self.communication_disabled_until) > Date.now()
    ? new Date(self.communication_disabled_until) : null;
  const canSend = has(perms, P.SEND_MESSAGES) && !timedOutUntil;
  const canManage = has(perms, P.MANAGE_MESSAGES);
  const canAttach = canSend && has(perms, P.ATTACH_FILES);
  const files = useAddFiles(channel.id);
  const drop = useDropZone(channel.name, canAttach, files.add);
  const [pinsOpen, setPinsOpen] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [replyTo, setReplyTo] = useState<StoredMessage | null>(null);
  // Roving tabindex over the messages: one of them (the last focused, else the newest) is in the
  // Tab order; arrow keys move between them, and a focused message shows its actions.
  const [focusId, setFocusId] = useState<string | null>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);
  const [jumps, setJumps] = useState(0);
  const scrollTo = useRef<string | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const composerRef = useRef<HTMLTextAreaElement>(null);
  // The reader's place, as of the last scroll or render: whether they follow the newest messages,
  // else which message is first in the list and where it sat, to keep them in place when anything
  // is added above.
  const anchor = useRef<Anchor | null>(null);

  useEffect(() => {
    session.activeChannelId = channel.id;
    session.openChannel(channel.id).catch((e) => setLoadError(describeError(e)));
    return () => {
      if (session.activeChannelId === channel.id) session.activeChannelId = null;
    };
  }, [channel.id, session]);

  // Jump to a message: load the page around it if needed, scroll it to the middle, highlight it.
  useEffect(() => {
    if (!jumpTo) return;
    let live = true;
    session.loadAround(channel.id, jumpTo.id).then(() => {
      if (!live) return;
      scrollTo.current = jumpTo.id;
      setJumps((n) => n + 1);
      setHighlightId(jumpTo.id);
      setFocusId(jumpTo.id);
    }, (e) => setLoadError(describeError(e)));
    const t = setTimeout(() => live && setHighlightId(null), 4000);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [jumpTo, channel.id, session]);

  const timeline = data.timelines.get(channel.id);
  const list: StoredMessage[] = [];
  for (const id of timeline?.ids ?? []) {
    const m = data.messages.get(id);
    if (m) list.push(m);
  }
  for (const id of timeline?.pending ?? []) {
    const m = data.messages.get(id);
    if (m) list.push(m);
  }
  const lastId = list.length ? list[list.length - 1].id : '';
  const firstId = list.length ? list[0].id : '';
  const tabbableId = focusId && list.some((m) => m.id === focusId) ? focusId : lastId;
  const lastRealId = timeline?.ids.length ? timeline.ids[timeline.ids.length - 1] : '';

  // Reading the channel marks it read, including messages that arrive while it is open.
  useEffect(() => {
    const last = lastRealId || channel.last_message_id;
    if (last) session.read.markRead(channel.id, last);
  }, [lastRealId, channel.id, channel.last_message_id, session]);

  // Keep the view pinned to the bottom for new messages, and in place when older ones load above.
  // Pages may land in any order (older and newer pages are loaded at once after a jump), so the
  // place is kept by where the previously first message moved to, not by what was last asked for.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const a = anchor.current;
    if (!a || a.atBottom) el.scrollTop = el.scrollHeight;
    else if (a.firstKey) {
      const first = el.querySelector<HTMLElement>(`li.message[data-key="${a.firstKey}"]`);
      if (first) el.scrollTop = a.top + (contentTop(el, first) - a.firstAt);
    }
    const target = scrollTo.current && el.querySelector<HTMLElement>(`li.message[data-key="${scrollTo.current}"]`);
    if (target) {
      scrollTo.current = null;
      target.scrollIntoView({ block: 'center' });
      target.focus({ preventScroll: true });
    }
    anchor.current = place(el, !timeline?.hasNewer);
  }, [lastId, firstId, list.length, jumps]);

  // The list's box changes size without new messages too: the upload tray or reply bar opens
  // under it, a player's controls appear. Whoever was at the bottom stays there. "At the bottom"
  // is judged from the place before the change, as the scroll event it may cause comes later.
  useEffect(() => {
    const el = listRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (anchor.current && !anchor.current.atBottom) return;
      el.scrollTop = el.scrollHeight;
      anchor.current = place(el, true);
    });
    observer.observe(el);
    for (const child of el.children) observer.observe(child);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    anchor.current = place(el, !timeline?.hasNewer);
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 300 && timeline?.hasNewer) {
      session.loadNewer(channel.id).catch((e) => setLoadError(describeError(e)));
    }
    if (el.scrollTop < 300 && timeline?.hasMore) {
      session.loadOlder(channel.id).catch((e) => setLoadError(describeError(e)));
    }
  };

  const names = mentionNames(data, guildId);
  const items: ReactElement[] = [];
  let prev: StoredMessage | undefined;
  for (const m of list) {
    const t = time(m);
    const newDay = !prev || !sameDay(time(prev), t);
    if (newDay) {
      items.push(
        <li key={`day-${m.id}`} className="date-divider" role="separator">
          <span>{new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' })}</span>
        </li>,
      );
    }
    const grouped = !!prev && !newDay && prev.author.id === m.author.id && t - time(prev) < GROUP_MS && !m.referenced_message;
    items.push(
      <MessageRow
        key={m.id}
        m={m}
        grouped={grouped}
        guildId={guildId}
        names={names}
        own={m.author.id === data.selfId}
        tabbable={m.id === tabbableId}
        highlighted={m.id === highlightId}
        canManage={canManage}
        editing={editing === m.id}
        onReply={() => {
          setReplyTo(m);
          composerRef.current?.focus();
        }}
        setEditing={(on) => {
          setEditing(on ? m.id : null);
          if (!on) composerRef.current?.focus();
        }}
      />,
    );
    prev = m;
  }

  const editLast = () => {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].author.id === data.selfId && !list[i].pending) {
        setEditing(list[i].id);
        return true;
      }
    }
    return false;
  };

  return (
    <section className="chat drop-target" aria-label={`#${channel.name}`} {...drop.handlers}>
      {drop.overlay}
      <div className="message-scroller" ref={listRef} onScroll={onScroll}>
        {timeline && !timeline.hasMore && (
          <div className="channel-start">
            <h3>Welcome to #{channel.name}!</h3>
            <p>This is the start of the #{channel.name} channel.</p>
          </div>
        )}
        {timeline?.hasMore && <p className="loading-older">Loading older messages…</p>}
        {loadError && <p className="form-error" role="alert">{loadError}</p>}
        <ol
          className="messages"
          aria-label={`Messages in #${channel.name}`}
          aria-live="polite"
          aria-relevant="additions"
          onFocus={(e) => {
            const key = (e.target as HTMLElement).closest<HTMLElement>('li.message')?.dataset.key;
            if (key) setFocusId(key);
          }}
          onKeyDown={(e) => {
            const row = e.target as HTMLElement;
            if (!row.matches('li.message')) return;
            const rows = [...e.currentTarget.querySelectorAll<HTMLElement>(':scope > li.message')];
            const i = rows.indexOf(row);
            let next: HTMLElement | undefined;
            if (e.key === 'ArrowUp') next = rows[i - 1];
            else if (e.key === 'ArrowDown') next = rows[i + 1];
            else if (e.key === 'Home') next = rows[0];
            else if (e.key === 'End') next = rows[rows.length - 1];
            else if (e.key === 'Escape') {
              e.preventDefault();
              composerRef.current?.focus();
              return;
            } else return;
            e.preventDefault();
            if (next) {
              next.focus();
              next.scrollIntoView({ block: 'nearest' });
            } else if (e.key === 'ArrowDown') composerRef.current?.focus();
          }}
        >
          {items}
        </ol>
      </div>
      {timeline?.hasNewer && (
        <div className="jump-bar">
          <span>You are viewing older messages</span>
          <button className="link" onClick={() => session.jumpToPresent(channel.id).catch((e) => setLoadError(describeError(e)))}>Jump to present</button>
        </div>
      )}
      <div className="chat-tools">
        <button className="link" aria-expanded={pinsOpen} onClick={() => setPinsOpen(!pinsOpen)}>Pinned messages</button>
      </div>
      {pinsOpen && <PinsPanel channel={channel} guildId={guildId} names={names} onClose={() => setPinsOpen(false)} />}
      <TypingIndicator channelId={channel.id} guildId={guildId} />
      <Composer
        files={{ ...files, canAttach }}
        drafts={drafts}
        disabledReason={canSend ? null : timedOutUntil ? `You are timed out until ${timedOutUntil.toLocaleString()}.` : 'You do not have permission to send messages in this channel.'} channel={channel} inputRef={composerRef} onEditLast={editLast} replyTo={replyTo} clearReply={() => setReplyTo(null)} guildId={guildId} />
    </section>
  );
}

const MessageRow = memo(function MessageRow(props: {
  m: StoredMessage;
  grouped: boolean;
  guildId: string;
  names: MentionNames;
  own: boolean;
  tabbable: boolean;
  highlighted?: boolean;
  canManage: boolean;
  editing: boolean;
  setEditing: (on: boolean) => void;
  onReply: () => void;
}) {
  const { m, grouped, guildId, names, own, tabbable, highlighted, canManage, editing, setEditing, onReply } = props;
  const rowRef = useRef<HTMLLIElement>(null);
  const session = useSession();
  const { data } = session;
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [picker, setPicker] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const t = time(m);
  const author = data.displayName(m.author.id, guildId);
  const selfRoles = data.selfId ? data.members.get(guildId)?.get(data.selfId)?.roles ?? [] : [];
  const mentioned = !!data.selfId && (m.mention_everyone || !!m.mentions?.some((u) => u.id === data.selfId)
    || !!m.mention_roles?.some((r) => selfRoles.includes(r)));
  const color = data.roleColor(m.author.id, guildId);
  const stamp = new Date(t);

  const react = (emoji: string) => {
    setPicker(false);
    rowRef.current?.focus();
    session.toggleReaction(m.channel_id, m.id, emoji).catch((e) => setError(describeError(e)));
  };

  return (
    <li
      className={`message${grouped ? ' grouped' : ''}${m.pending ? ` ${m.pending}` : ''}${mentioned ? ' mentioned' : ''}${highlighted ? ' highlight' : ''}`}
      data-message-id={m.pending ? undefined : m.id}
      data-key={m.id}
      ref={rowRef}
      tabIndex={tabbable ? 0 : -1}
      aria-label={`${author}, ${stamp.toLocaleString()}`}
      aria-keyshortcuts={m.pending ? undefined : 'R E + P Delete'}
      onKeyDown={(e) => {
        // Discord's shortcuts on a focused message: R reply, E edit, + react, P pin, Delete/Backspace delete.
        if (e.target !== e.currentTarget || m.pending || editing || e.ctrlKey || e.metaKey || e.altKey) return;
        const k = e.key.toLowerCase();
        if (k === 'r') onReply();
        else if (k === 'e' && own) setEditing(true);
        else if (k === '+' || k === '=') setPicker(true);
        else if (k === 'p' && canManage) session.setPinned(m.channel_id, m.id, !m.pinned).catch((err) => setError(describeError(err)));
        else if ((k === 'delete' || k === 'backspace') && (own || canManage)) setConfirmDelete(true);
        else return;
        e.preventDefault();
      }}
      onContextMenu={(e) => {
        // A long press on a phone opens the message's actions (focus shows them), as Discord's sheet does.
        if (window.matchMedia?.('(max-width: 760px)').matches && !(e.target as HTMLElement).closest('a, button, img, video, audio')) {
          e.preventDefault();
          rowRef.current?.focus();
        }
      }}
    >
      {!grouped && (
        <div className="message-header">
          <UserAvatar userId={m.author.id} guildId={guildId} />
          <span className="author" style={{ color }}>{author}</span>
          <time dateTime={stamp.toISOString()}>{stamp.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}</time>
        </div>
      )}
      {m.referenced_message && (
        <div className="reply-ref">
          <span aria-hidden="true">↪ </span>
          <span className="sr-only">Replying to </span>
          <span className="author" style={{ color: data.roleColor(m.referenced_message.author.id, guildId) }}>
            {data.displayName(m.referenced_message.author.id, guildId)}
          </span>{' '}
          {m.referenced_message.content.slice(0, 100)}
        </div>
      )}
      {editing ? (
        <EditBox m={m} done={() => setEditing(false)} />
      ) : (
        <div className="content">
          <Markdown text={m.content} names={names} />
          {m.pinned && <span className="hint pinned-mark" title="Pinned"> <PinIcon /><span className="sr-only">pinned</span></span>}
          {m.edited_timestamp && <span className="edited" title={new Date(m.edited_timestamp).toLocaleString()}> (edited)</span>}
        </div>
      )}
      <Attachments m={m} />
      {m.pending && <UploadStatus m={m} />}
      {m.pending === 'failed' && (
        <div className="send-error" role="alert">
          {m.error ?? 'Could not send.'}{' '}
          <button className="link" onClick={() => (filesOf(session).owns(m.id) ? filesOf(session).retry(m.channel_id, m.id) : session.retry(m.channel_id, m.id))}>Retry</button>{' '}
          <button className="link" onClick={() => (filesOf(session).owns(m.id) ? filesOf(session).cancel(m.channel_id, m.id) : session.discard(m.channel_id, m.id))}>Discard</button>
        </div>
      )}
      {!!m.reactions?.length && (
        <div className="reactions">
          {m.reactions.map((r) => (
            <button
              key={r.emoji.id ?? r.emoji.name}
              className={r.me ? 'reaction me' : 'reaction'}
              aria-pressed={r.me}
              aria-label={`${r.emoji.name} ${r.count}, ${r.me ? 'remove your reaction' : 'react'}`}
              onClick={() => react(r.emoji.name)}
            >
              <span aria-hidden="true">{r.emoji.name}</span> <span className="count" aria-hidden="true">{r.count}</span>
            </button>
          ))}
        </div>
      )}
      {error && <div className="send-error" role="alert">{error}</div>}
      {!m.pending && !editing && (
        <div className="message-actions" role="group" aria-label="Message actions">
          <button className="icon-button" aria-label="Add reaction" aria-expanded={picker} onClick={() => setPicker(!picker)}><SmileIcon /></button>
          <button className="icon-button" aria-label="Reply" onClick={onReply}><ReplyIcon /></button>
          {own && <button className="icon-button" aria-label="Edit message" onClick={() => setEditing(true)}><EditIcon /></button>}
          {canManage && (
            <button className="icon-button" aria-label={m.pinned ? 'Unpin message' : 'Pin message'} onClick={() => {
              session.setPinned(m.channel_id, m.id, !m.pinned).catch((e) => setError(describeError(e)));
            }}><PinIcon /></button>
          )}
          {(own || canManage) && <button className="icon-button" aria-label="Delete message" onClick={() => setConfirmDelete(true)}><TrashIcon /></button>}
        </div>
      )}
      {picker && (
        <div className="emoji-picker" role="group" aria-label="Pick a reaction">
          {QUICK_REACTIONS.map((e, i) => (
            <button key={e} className="icon-button" aria-label={`React with ${e}`} autoFocus={i === 0} onClick={() => react(e)}
              onKeyDown={(ev) => {
                if (ev.key === 'Escape') {
                  ev.stopPropagation();
                  setPicker(false);
                  rowRef.current?.focus();
                }
              }}>{e}</button>
          ))}
        </div>
      )}
      {confirmDelete && (
        <div className="confirm" role="alertdialog" aria-label="Delete message?">
          Delete this message?{' '}
          <button
            className="danger"
            autoFocus
            onClick={() => {
              setConfirmDelete(false);
              session.rest.deleteMessage(m.channel_id, m.id).catch((e) => setError(describeError(e)));
            }}
          >
            Delete
          </button>{' '}
          <button onClick={() => {
            setConfirmDelete(false);
            rowRef.current?.focus();
          }}>Cancel</button>
        </div>
      )}
    </li>
  );
});

function EditBox({ m, done }: { m: StoredMessage; done: () => void }) {
  const session = useSession();
  const [text, setText] = useState(m.content);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    if (text.trim() === m.content) return done();
    try {
      await session.rest.editMessage(m.channel_id, m.id, text);
      done();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div className="edit-box">
      <textarea
        aria-label="Edit message"
        autoFocus
        value={text}
        onChange={(e) => setText(e.target.value)}
        onFocus={(e) => e.currentTarget.setSelectionRange(e.currentTarget.value.length, e.currentTarget.value.length)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') done();
          else if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <p className="hint">escape to cancel · enter to save</p>
      {error && <p className="form-error" role="alert">{error}</p>}
    </div>
  );
}

function TypingIndicator({ channelId, guildId }: { channelId: string; guildId: string }) {
  const { data } = useSession();
  useCollection(data.typing);
  const [now, setNow] = useState(Date.now());
  const typing = data.typing.get(channelId);
  const active = [...(typing?.entries() ?? [])].filter(([, until]) => until > now).map(([id]) => data.displayName(id, guildId));
  useEffect(() => {
    if (!active.length) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active.length]);
  useEffect(() => setNow(Date.now()), [typing]);
  let text = '';
  if (active.length === 1) text = `${active[0]} is typing…`;
  else if (active.length === 2) text = `${active[0]} and ${active[1]} are typing…`;
  else if (active.length > 2) text = 'Several people are typing…';
  return <div className="typing" aria-live="polite">{text}</div>;
}

function Composer(props: {
  channel: Channel;
  guildId: string;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  onEditLast: () => boolean;
  replyTo: StoredMessage | null;
  clearReply: () => void;
  disabledReason: string | null;
  drafts: Map<string, string>;
  files: ReturnType<typeof useAddFiles> & { canAttach: boolean };
}) {
  const { channel, inputRef, onEditLast, replyTo, clearReply, guildId, disabledReason, drafts, files } = props;
  const session = useSession();
  const sender = filesOf(session);
  useCollection(sender.drafts.byChannel);
  const waiting = sender.drafts.get(channel.id);
  const [text, setTextState] = useState(() => drafts.get(channel.id) ?? '');
  const setText = (v: string) => {
    setTextState(v);
    if (v) drafts.set(channel.id, v);
    else drafts.delete(channel.id);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      const content = text.trim();
      if (!content && !waiting.length) return;
      setText('');
      session.stoppedTyping(channel.id);
      files.clearError();
      // A message may be files only; with files it goes as multipart with upload progress.
      if (waiting.length) void sender.send(channel.id, content, sender.drafts.take(channel.id), replyTo?.id);
      else void session.send(channel.id, content, undefined, replyTo?.id);
      clearReply();
    } else if (e.key === 'Escape' && replyTo) {
      clearReply();
    } else if (e.key === 'ArrowUp' && !text) {
      if (onEditLast()) e.preventDefault();
    }
  };
  return (
    <form className="composer" onSubmit={(e) => e.preventDefault()}>
      {replyTo && (
        <div className="reply-bar">
          <span>Replying to <strong>{session.data.displayName(replyTo.author.id, guildId)}</strong></span>
          <button type="button" className="icon-button" aria-label="Cancel reply" onClick={clearReply}>✕</button>
        </div>
      )}
      <UploadTray channelId={channel.id} />
      {files.error && <p className="form-error files-error" role="alert">{files.error}</p>}
      <div className="composer-row">
        {files.canAttach && <AttachButton onFiles={files.add} />}
        <textarea
          ref={inputRef}
          aria-label={`Message #${channel.name}`}
          placeholder={disabledReason ?? `Message #${channel.name}`}
          disabled={!!disabledReason}
          rows={1}
          maxLength={2000}
          value={text}
          autoFocus
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value) session.typing(channel.id);
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            // Screenshots and copied files arrive as clipboard files; text pastes stay text.
            if (files.canAttach && e.clipboardData.files.length) {
              e.preventDefault();
              files.add(e.clipboardData.files);
            }
          }}
        />
      </div>
    </form>
  );
}

function PinsPanel({ channel, guildId, names, onClose }: { channel: Channel; guildId: string; names: MentionNames; onClose: () => void }) {
  const session = useSession();
  useCollection(session.data.messages);
  const [pins, setPins] = useState<StoredMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    session.rest.pins(channel.id).then(setPins, (e) => setError(describeError(e)));
  }, [channel.id, session]);
  // A pin toggled here since opening shows through the stored copy.
  const shown = pins?.filter((p) => session.data.messages.get(p.id)?.pinned !== false);
  return (
    <section className="pins-panel" aria-label="Pinned messages" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <header className="search-header">
        <h3 className="category">Pinned messages</h3>
        <button className="icon-button" aria-label="Close pinned messages" onClick={onClose}>✕</button>
      </header>
      {error && <p className="form-error" role="alert">{error}</p>}
      {shown && shown.length === 0 && <p className="hint">This channel does not have any pinned messages yet.</p>}
      <ol className="search-results">
        {shown?.map((m) => (
          <li key={m.id} className="search-result">
            <span className="author">{session.data.displayName(m.author.id, guildId)}</span>
            <span className="content"><Markdown text={m.content} names={names} /></span>
            <AttachmentNames m={m} />
          </li>
        ))}
      </ol>
    </section>
  );
}
