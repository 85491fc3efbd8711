import { Fragment, useState, type ReactNode } from 'react';

// Discord-flavoured markdown → an AST → React elements. User text only ever becomes text nodes
// and attributes React escapes; nothing is handed to innerHTML.

export type Node =
  | { type: 'text'; value: string }
  | { type: 'br' }
  | { type: 'code'; value: string }
  | { type: 'codeblock'; lang: string; value: string }
  | { type: 'bold' | 'italic' | 'underline' | 'strike' | 'spoiler' | 'quote'; children: Node[] }
  | { type: 'link'; url: string; children: Node[] }
  | { type: 'mention'; kind: 'user' | 'role' | 'channel'; id: string }
  | { type: 'everyone'; value: '@everyone' | '@here' }
  | { type: 'heading'; level: 1 | 2 | 3; children: Node[] }
  | { type: 'subtext'; children: Node[] }
  | { type: 'list'; ordered: boolean; start: number; items: Node[][] }
  | { type: 'timestamp'; unix: number; style: TimestampStyle }
  | { type: 'emoji'; name: string; id: string; animated: boolean };

/** Discord's `<t:unix:style>` styles: short/long time, short/long date, date and time (f, the default; F), relative. */
export type TimestampStyle = 't' | 'T' | 'd' | 'D' | 'f' | 'F' | 'R';

type Rule = { re: RegExp; make: (m: RegExpExecArray, before: string) => Node | null };

const URL_RE = /https?:\/\/[^\s<]+[^<.,:;"')\]\s]/y;

const INLINE: Rule[] = [
  { re: /\\([^0-9A-Za-z\s])/y, make: (m) => ({ type: 'text', value: m[1] }) },
  { re: /(`+)([\s\S]*?[^`])\1(?!`)/y, make: (m) => ({ type: 'code', value: m[2].replace(/^ ([\s\S]*\S[\s\S]*) $/, '$1') }) },
  { re: /<(https?:\/\/[^\s>]+)>/y, make: (m) => ({ type: 'link', url: m[1], children: [{ type: 'text', value: m[1] }] }) },
  // <t:1700000000:R> and friends; a time outside what Date can hold stays text.
  {
    re: /<t:(-?\d{1,13})(?::([tTdDfFR]))?>/y,
    make: (m) => (Math.abs(Number(m[1]) * 1000) <= 8.64e15 ? { type: 'timestamp', unix: Number(m[1]), style: (m[2] ?? 'f') as TimestampStyle } : null),
  },
  // Custom emoji <:name:id> / <a:name:id>: this server has no emoji images, so they show as :name:.
  { re: /<(a?):([A-Za-z0-9_]{2,32}):(\d{1,20})>/y, make: (m) => ({ type: 'emoji', name: m[2], id: m[3], animated: m[1] === 'a' }) },
  { re: /<@!?(\d+)>/y, make: (m) => ({ type: 'mention', kind: 'user', id: m[1] }) },
  { re: /<@&(\d+)>/y, make: (m) => ({ type: 'mention', kind: 'role', id: m[1] }) },
  { re: /<#(\d+)>/y, make: (m) => ({ type: 'mention', kind: 'channel', id: m[1] }) },
  { re: /@(everyone|here)/y, make: (m) => ({ type: 'everyone', value: `@${m[1]}` as '@everyone' | '@here' }) },
  {
    re: /\[([^[\]\n]+)\]\((https?:\/\/[^\s)]+)\)/y,
    make: (m) => ({ type: 'link', url: m[2], children: parseInline(m[1], true) }),
  },
  { re: URL_RE, make: (m) => ({ type: 'link', url: m[0], children: [{ type: 'text', value: m[0] }] }) },
  { re: /\|\|([\s\S]+?)\|\|/y, make: (m) => ({ type: 'spoiler', children: parseInline(m[1]) }) },
  { re: /\*\*([\s\S]+?)\*\*(?!\*)/y, make: (m) => ({ type: 'bold', children: parseInline(m[1]) }) },
  { re: /__([\s\S]+?)__(?!_)/y, make: (m) => ({ type: 'underline', children: parseInline(m[1]) }) },
  { re: /\*(?!\s)([\s\S]*?[^\s\\])\*(?!\*)/y, make: (m) => ({ type: 'italic', children: parseInline(m[1]) }) },
  {
    re: /_([^_\s](?:[\s\S]*?[^_\s])?)_(?![A-Za-z0-9])/y,
    make: (m, before) => (/[A-Za-z0-9]$/.test(before) ? null : { type: 'italic', children: parseInline(m[1]) }),
  },
  { re: /~~([\s\S]+?)~~/y, make: (m) => ({ type: 'strike', children: parseInline(m[1]) }) },
  { re: /\n/y, make: () => ({ type: 'br' }) },
];

/** Characters where a rule may start; everything else is plain text. */
const PLAIN = /[^\\`<@[h|*_~\n]+/y;

export function parseInline(src: string, noLinks = false): Node[] {
  const out: Node[] = [];
  const pushText = (value: string) => {
    const last = out[out.length - 1];
    if (last && last.type === 'text') last.value += value;
    else out.push({ type: 'text', value });
  };
  let i = 0;
  outer: while (i < src.length) {
    for (const rule of INLINE) {
      if (noLinks && (rule.re === URL_RE)) continue;
      rule.re.lastIndex = i;
      const m = rule.re.exec(src);
      if (!m) continue;
      const node = rule.make(m, src.slice(Math.max(0, i - 1), i));
      if (!node) continue;
      if (node.type === 'text') pushText(node.value);
      else out.push(node);
      i += m[0].length;
      continue outer;
    }
    PLAIN.lastIndex = i;
    const p = PLAIN.exec(src);
    const take = p ? p[0].length : 1;
    pushText(src.slice(i, i + take));
    i += take;
  }
  return out;
}

/** Block level: fenced code blocks, then `> ` quote lines and `>>> ` (quote to the end). */
export function parse(src: string): Node[] {
  const out: Node[] = [];
  const fence = /```(?:([A-Za-z0-9_+-]+)\n)?\n?([\s\S]*?)```/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = fence.exec(src))) {
    if (m.index > last) out.push(...parseQuotes(src.slice(last, m.index)));
    out.push({ type: 'codeblock', lang: m[1] ?? '', value: m[2].replace(/\n$/, '') });
    last = m.index + m[0].length;
  }
  if (last < src.length) out.push(...parseQuotes(src.slice(last)));
  return out;
}

function parseQuotes(text: string): Node[] {
  const out: Node[] = [];
  const lines = text.split('\n');
  let quote: string[] = [];
  let rest: string[] = [];
  const flushRest = () => {
    if (rest.length) out.push(...parseLines(rest));
    rest = [];
  };
  const flushQuote = () => {
    if (quote.length) out.push({ type: 'quote', children: parseLines(quote) });
    quote = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('>>> ')) {
      flushRest();
      flushQuote();
      out.push({ type: 'quote', children: parseLines([line.slice(4), ...lines.slice(i + 1)]) });
      return out;
    }
    if (line.startsWith('> ') || line === '>') {
      flushRest();
      quote.push(line.slice(2));
    } else {
      flushQuote();
      rest.push(line);
    }
  }
  flushRest();
  flushQuote();
  return out;
}

const HEADING = /^(#{1,3}) +(\S.*)$/;
const SUBTEXT = /^-# +(\S.*)$/;
const BULLET = /^ *[-*] +(\S.*)$/;
const NUMBERED = /^ *(\d{1,9})\. +(\S.*)$/;

/**
 * Lines as Discord reads them: `# `, `## `, `### ` headings, `-# ` subtext, `- ` / `* ` and `1. `
 * lists (consecutive lines of one kind form one list; an ordered list keeps its first number);
 * everything else is inline text, several lines parsed together so bold may span them.
 */
function parseLines(lines: string[]): Node[] {
  const out: Node[] = [];
  let plain: string[] = [];
  const flushPlain = () => {
    if (plain.length) out.push(...parseInline(plain.join('\n')));
    plain = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m: RegExpExecArray | null;
    if ((m = HEADING.exec(line))) {
      flushPlain();
      out.push({ type: 'heading', level: m[1].length as 1 | 2 | 3, children: parseInline(m[2]) });
    } else if ((m = SUBTEXT.exec(line))) {
      flushPlain();
      out.push({ type: 'subtext', children: parseInline(m[1]) });
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      flushPlain();
      const ordered = NUMBERED.test(line);
      const re = ordered ? NUMBERED : BULLET;
      const items: Node[][] = [];
      const start = ordered ? Number(NUMBERED.exec(line)![1]) : 1;
      while (i < lines.length && (m = re.exec(lines[i]))) {
        items.push(parseInline(ordered ? m[2] : m[1]));
        i++;
      }
      i--;
      out.push({ type: 'list', ordered, start, items });
    } else {
      plain.push(line);
    }
  }
  flushPlain();
  return out;
}

const TIME_FORMATS: Record<Exclude<TimestampStyle, 'R'>, Intl.DateTimeFormatOptions> = {
  t: { timeStyle: 'short' },
  T: { timeStyle: 'medium' },
  d: { dateStyle: 'short' },
  D: { dateStyle: 'long' },
  f: { dateStyle: 'long', timeStyle: 'short' },
  F: { dateStyle: 'full', timeStyle: 'short' },
};

/** A `<t:…>` timestamp in the reader's locale and time zone; `R` relative to `now`. */
export function formatTimestamp(unix: number, style: TimestampStyle, now = Date.now(), locale?: string): string {
  const ms = unix * 1000;
  if (style !== 'R') return new Intl.DateTimeFormat(locale, TIME_FORMATS[style]).format(ms);
  const diff = (ms - now) / 1000;
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const [unit, size] = units.find(([, n]) => Math.abs(diff) >= n) ?? ['second', 1];
  return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(Math.round(diff / size), unit);
}

export interface MentionNames {
  user(id: string): string;
  role(id: string): { name: string; color?: string };
  channel(id: string): string;
}

const noNames: MentionNames = { user: () => 'unknown-user', role: () => ({ name: 'unknown-role' }), channel: () => 'unknown' };

function Spoiler({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  return (
    <span
      className={shown ? 'spoiler shown' : 'spoiler'}
      role={shown ? undefined : 'button'}
      tabIndex={shown ? undefined : 0}
      aria-label={shown ? undefined : 'Spoiler, press to reveal'}
      onClick={() => setShown(true)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          setShown(true);
        }
      }}
    >
      <span aria-hidden={!shown}>{children}</span>
    </span>
  );
}

function safeHref(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export function renderNodes(nodes: Node[], names: MentionNames = noNames): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text':
        return <Fragment key={i}>{n.value}</Fragment>;
      case 'br':
        return <br key={i} />;
      case 'code':
        return <code key={i} className="inline-code">{n.value}</code>;
      case 'codeblock':
        return (
          <pre key={i} className="code-block" data-lang={n.lang || undefined}>
            <code>{n.value}</code>
          </pre>
        );
      case 'bold':
        return <strong key={i}>{renderNodes(n.children, names)}</strong>;
      case 'italic':
        return <em key={i}>{renderNodes(n.children, names)}</em>;
      case 'underline':
        return <u key={i}>{renderNodes(n.children, names)}</u>;
      case 'strike':
        return <s key={i}>{renderNodes(n.children, names)}</s>;
      case 'spoiler':
        return <Spoiler key={i}>{renderNodes(n.children, names)}</Spoiler>;
      case 'quote':
        return <blockquote key={i}>{renderNodes(n.children, names)}</blockquote>;
      case 'link': {
        const href = safeHref(n.url);
        if (!href) return <Fragment key={i}>{n.url}</Fragment>;
        return (
          <a key={i} href={href} target="_blank" rel="noopener noreferrer nofollow ugc">
            {renderNodes(n.children, names)}
          </a>
        );
      }
      case 'mention': {
        if (n.kind === 'user') return <span key={i} className="mention">@{names.user(n.id)}</span>;
        if (n.kind === 'channel') return <span key={i} className="mention">#{names.channel(n.id)}</span>;
        const r = names.role(n.id);
        return <span key={i} className="mention" style={r.color ? { color: r.color } : undefined}>@{r.name}</span>;
      }
      case 'everyone':
        return <span key={i} className="mention">{n.value}</span>;
      case 'heading':
        return <span key={i} className={`md-heading md-h${n.level}`} role="heading" aria-level={n.level + 2}>{renderNodes(n.children, names)}</span>;
      case 'subtext':
        return <small key={i} className="md-subtext">{renderNodes(n.children, names)}</small>;
      case 'list': {
        const items = n.items.map((item, k) => <li key={k}>{renderNodes(item, names)}</li>);
        return n.ordered
          ? <ol key={i} className="md-list" start={n.start === 1 ? undefined : n.start}>{items}</ol>
          : <ul key={i} className="md-list">{items}</ul>;
      }
      case 'timestamp': {
        const d = new Date(n.unix * 1000);
        return <time key={i} className="md-timestamp" dateTime={d.toISOString()} title={formatTimestamp(n.unix, 'F')}>{formatTimestamp(n.unix, n.style)}</time>;
      }
      case 'emoji':
        return <span key={i} className="md-emoji" title={`:${n.name}:`}>:{n.name}:</span>;
    }
  });
}

export function Markdown({ text, names }: { text: string; names?: MentionNames }) {
  return <>{renderNodes(parse(text), names)}</>;
}
