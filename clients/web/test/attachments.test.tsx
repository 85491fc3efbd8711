import { describe, expect, test } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryTokenStore, RestClient, type Attachment } from '@together/shared';
import { SessionContext } from '../src/context';
import { Session } from '../src/session';
import type { StoredMessage } from '../src/state/data';
import { Attachments } from '../src/ui/Attachments';
import { GuildIcon, UserAvatar } from '../src/ui/Avatar';

function session() {
  const rest = new RestClient({ tokens: new MemoryTokenStore(null), fetch: async () => { throw new Error('no network in this test'); } });
  return new Session(rest, () => undefined);
}

const signed = (name: string) => `http://h/attachments/1/2/${name}?ex=1&is=2&hm=ab&`;
const att = (over: Partial<Attachment>): Attachment => ({
  id: '2', filename: 'a.png', size: 2048, url: signed('a.png'), proxy_url: signed('a.png'), content_type: 'image/png', width: 1200, height: 600, flags: 0, ...over,
});
const message = (attachments: Attachment[]): StoredMessage => ({
  id: '10', channel_id: '1', author: { id: '5', username: 'alice' }, content: '', timestamp: '2026-11-26T00:00:00Z', edited_timestamp: null, type: 0, attachments,
});

const render = (node: React.ReactNode, s = session()) => renderToStaticMarkup(<SessionContext.Provider value={s}>{node}</SessionContext.Provider>);

describe('attachments in messages', () => {
  test('an image is a button sized from width/height, loading the thumbnail', () => {
    const html = render(<Attachments m={message([att({ description: 'a wide <b>view</b>' })])} />);
    expect(html).toContain('aria-label="Open image a.png"');
    expect(html).toContain('style="width:400px;aspect-ratio:400 / 200"');
    expect(html).toContain(`src="${signed('a.png').replace(/&/g, '&amp;')}width=400&amp;height=200"`);
    expect(html).toContain('alt="a wide &lt;b&gt;view&lt;/b&gt;"');
    expect(html).not.toContain('<b>');
  });
  test('a spoiler image shows only a reveal button over a blurred, inert copy', () => {
    const html = render(<Attachments m={message([att({ filename: 'SPOILER_a.png' })])} />);
    expect(html).toContain('aria-label="Spoiler image: reveal"');
    expect(html).toMatch(/<div class="spoiler-blur" aria-hidden="true">/);
    const flagged = render(<Attachments m={message([att({ flags: 8 })])} />);
    expect(flagged).toContain('Spoiler image: reveal');
  });
  test('other files are cards whose names are text and whose links download', () => {
    const name = '<img src=x onerror=alert(1)>.txt';
    const html = render(<Attachments m={message([att({ filename: name, content_type: 'text/plain; charset=utf-8', width: null, height: null, size: 1536, url: signed('x.txt') })])} />);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.txt');
    expect(html).toMatch(/<a href="[^"]+x\.txt[^"]*" download="&lt;img src=x onerror=alert\(1\)&gt;\.txt"/);
    expect(html).toContain('1.5 KB');
  });
  test('video and audio get the browser players', () => {
    const html = render(<Attachments m={message([
      att({ id: '3', filename: 'clip.mp4', content_type: 'video/mp4', width: 640, height: 360 }),
      att({ id: '4', filename: 'song.ogg', content_type: 'audio/ogg', width: null, height: null }),
    ])} />);
    expect(html).toMatch(/<video[^>]*controls=""[^>]*width="400" height="225"/);
    expect(html).toMatch(/<audio[^>]*controls=""/);
  });
  test('no attachments, nothing drawn', () => {
    expect(render(<Attachments m={message([])} />)).toBe('');
  });
});

describe('avatars and icons', () => {
  test('a user with an avatar gets the CDN image, without one the initial', () => {
    const s = session();
    s.data.users.set('5', { id: '5', username: 'alice', avatar: 'ab'.repeat(16) });
    s.data.users.set('6', { id: '6', username: 'bob', avatar: null });
    // (React's server renderer adds a preload link for images; only the avatar itself matters here.)
    expect(render(<UserAvatar userId="5" px={32} status="online" />, s)).toContain(
      `<span class="avatar status-online has-image" aria-hidden="true" data-avatar="${'ab'.repeat(16)}"><img src="/avatars/5/${'ab'.repeat(16)}.webp?size=64" alt="" draggable="false"/></span>`);
    expect(render(<UserAvatar userId="6" />, s)).toBe('<span class="avatar" aria-hidden="true">B</span>');
  });
  test('guild icons fall back to initials', () => {
    expect(render(<GuildIcon guild={{ id: '7', name: 'Game Night', owner_id: '1', icon: null }} />)).toBe('GN');
    expect(render(<GuildIcon guild={{ id: '7', name: 'Game Night', owner_id: '1', icon: 'a_ff' }} />)).toContain('<img class="guild-icon-image" src="/icons/7/a_ff.gif?size=128" alt="" draggable="false"/>');
  });
});
