import { describe, expect, test } from 'vitest';
import {
  ApiError, MemoryTokenStore, NetworkError, RestClient, UploadCancelledError, UploadNetworkError, attachmentKind, avatarUrl,
  buildMessageForm, cdnSize, checkAvatarFile, checkFiles, fitSize, formatBytes, guildIconUrl, isSpoiler, thumbnailUrl, uploadName,
  withQuery, type UploadFn, type UploadRequest,
} from '../src';

const MB = 1024 * 1024;

describe('limits', () => {
  test('accepts files up to the size and count limits', () => {
    expect(checkFiles(0, [{ name: 'a.png', size: 25 * MB }])).toBeNull();
    expect(checkFiles(9, [{ name: 'a.png', size: 1 }])).toBeNull();
  });
  test('refuses one byte over 25 MB, naming the file', () => {
    expect(checkFiles(0, [{ name: 'movie.mkv', size: 25 * MB + 1 }])).toBe('movie.mkv is too large: files can be up to 25 MB.');
    expect(checkFiles(0, [{ name: 'a', size: 26 * MB }, { name: 'b', size: 30 * MB }])).toMatch(/^2 files are too large/);
  });
  test('refuses an 11th file, counting those already waiting', () => {
    expect(checkFiles(8, [{ name: 'a', size: 1 }, { name: 'b', size: 1 }, { name: 'c', size: 1 }])).toBe('You can only upload 10 files at a time.');
    expect(checkFiles(0, [{ name: 'a', size: 1 }, { name: 'b', size: 1 }], { maxFiles: 1, maxBytes: 10 })).toMatch(/only upload 1 files/);
  });
  test('sizes read as people expect', () => {
    expect(formatBytes(12)).toBe('12 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(25 * MB)).toBe('25 MB');
    expect(formatBytes(300 * MB)).toBe('300 MB');
  });
  test('avatar images: type and size', () => {
    expect(checkAvatarFile({ type: 'image/png', size: 100 })).toBeNull();
    expect(checkAvatarFile({ type: 'image/svg+xml', size: 100 })).toMatch(/PNG, JPEG, GIF or WebP/);
    expect(checkAvatarFile({ type: 'image/jpeg', size: 10 * MB + 1 })).toMatch(/too large/);
  });
});

describe('multipart payload', () => {
  test('payload_json first, one attachments entry per files[n] part, spoilers prefixed, blank descriptions left out', async () => {
    const form = buildMessageForm({ content: 'look', nonce: 'n1', enforce_nonce: true, message_reference: { message_id: '9' } }, [
      { file: new Blob(['png']), name: 'shot.png', description: '  the boss fight ' },
      { file: new Blob(['txt']), name: 'notes.txt', spoiler: true, description: '   ' },
    ]);
    const keys: string[] = [];
    form.forEach((_v, k) => keys.push(k));
    expect(keys).toEqual(['payload_json', 'files[0]', 'files[1]']);
    const payload = JSON.parse(await (form.get('payload_json') as Blob).text());
    expect(payload).toEqual({
      content: 'look', nonce: 'n1', enforce_nonce: true, message_reference: { message_id: '9' },
      attachments: [{ id: 0, filename: 'shot.png', description: 'the boss fight' }, { id: 1, filename: 'SPOILER_notes.txt' }],
    });
    expect((form.get('files[1]') as File).name).toBe('SPOILER_notes.txt');
    expect(await (form.get('files[0]') as File).text()).toBe('png');
  });
  test('the spoiler prefix is not doubled', () => {
    expect(uploadName({ name: 'SPOILER_a.png', spoiler: true })).toBe('SPOILER_a.png');
    expect(uploadName({ name: '', spoiler: false })).toBe('file');
  });
});

describe('attachments', () => {
  test('spoilers by flag or by name', () => {
    expect(isSpoiler({ filename: 'a.png', flags: 8 })).toBe(true);
    expect(isSpoiler({ filename: 'SPOILER_a.png', flags: 0 })).toBe(true);
    expect(isSpoiler({ filename: 'a.png', flags: 4 })).toBe(false);
    expect(isSpoiler({ filename: 'spoiler_a.png' })).toBe(false);
  });
  test('kinds follow the sniffed type; SVG and images without size are files', () => {
    expect(attachmentKind({ content_type: 'image/png', width: 3, height: 2 })).toBe('image');
    expect(attachmentKind({ content_type: 'image/png' })).toBe('file');
    expect(attachmentKind({ content_type: 'image/svg+xml', width: 3, height: 2 })).toBe('file');
    expect(attachmentKind({ content_type: 'video/mp4' })).toBe('video');
    expect(attachmentKind({ content_type: 'audio/ogg' })).toBe('audio');
    expect(attachmentKind({ content_type: 'text/plain; charset=utf-8' })).toBe('file');
  });
  test('previews shrink to the box, never grow', () => {
    expect(fitSize(4000, 3000, 400, 300)).toEqual({ width: 400, height: 300 });
    expect(fitSize(1000, 4000, 400, 300)).toEqual({ width: 75, height: 300 });
    expect(fitSize(40, 30, 400, 300)).toEqual({ width: 40, height: 30 });
  });
  test('thumbnail URLs extend the signed query', () => {
    const signed = 'http://h/attachments/1/2/a.png?ex=1&is=2&hm=ab&';
    expect(thumbnailUrl({ url: signed, proxy_url: signed }, 400, 300)).toBe(`${signed}width=400&height=300`);
    expect(thumbnailUrl({ url: signed, proxy_url: signed }, 400, 300, 2)).toBe(`${signed}width=800&height=600`);
    expect(withQuery('/a', { x: 1 })).toBe('/a?x=1');
    expect(withQuery('/a?y=2', { x: 1 })).toBe('/a?y=2&x=1');
    expect(withQuery('/a?y=2#f', { x: 1 })).toBe('/a?y=2&x=1#f');
  });
});

describe('CDN URLs', () => {
  test('avatars: still as WebP, animated as GIF, sizes rounded up to a power of two', () => {
    expect(avatarUrl('1', null)).toBeNull();
    expect(avatarUrl('1', '0f'.repeat(16), 40)).toBe(`/avatars/1/${'0f'.repeat(16)}.webp?size=64`);
    expect(avatarUrl('1', 'a_abc', 128, { base: 'https://x' })).toBe('https://x/avatars/1/a_abc.gif?size=128');
    expect(avatarUrl('1', 'a_abc', 128, { animated: false, format: 'png' })).toBe('/avatars/1/a_abc.png?size=128');
    expect(guildIconUrl('7', 'abc', 96)).toBe('/icons/7/abc.webp?size=128');
    expect(cdnSize(1)).toBe(16);
    expect(cdnSize(5000)).toBe(4096);
  });
});

describe('sendMessageWithFiles', () => {
  const NOW = 1_000_000;
  function client(answers: Array<Partial<{ status: number; body: unknown }> | Error>) {
    const calls: UploadRequest[] = [];
    const upload: UploadFn = async (r) => {
      calls.push(r);
      r.onProgress?.(50, 100);
      r.onProgress?.(100, 100);
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return { status: a.status ?? 200, statusText: '', text: a.body === undefined ? '' : JSON.stringify(a.body), header: () => null };
    };
    const tokens = new MemoryTokenStore({ token: 'a1', refreshToken: 'r1', userId: '1', expiresAt: NOW + 600_000 });
    const fetch = async () => new Response(JSON.stringify({ token: 'a2', refresh_token: 'r2', expires_in: 600, user_id: '1' }), { status: 200 });
    const rest = new RestClient({ tokens, upload, fetch, now: () => NOW, sleep: async () => undefined });
    return { rest, calls };
  }
  const files = [{ file: new Blob(['x']), name: 'a.png' }];

  test('posts the multipart body to the channel with the token and reports progress', async () => {
    const { rest, calls } = client([{ body: { id: '5', content: '' } }]);
    const seen: number[] = [];
    const m = await rest.sendMessageWithFiles('9', { content: 'hi', nonce: 'n' }, files, { onProgress: (l) => seen.push(l) });
    expect(m.id).toBe('5');
    expect(calls[0].url).toBe('/api/v10/channels/9/messages');
    expect(calls[0].headers.authorization).toBe('Bearer a1');
    expect(calls[0].headers['content-type']).toBeUndefined(); // the browser sets the boundary
    expect(seen).toEqual([50, 100]);
  });
  test('413 and 50035 come back as ApiErrors with the server message', async () => {
    const { rest } = client([{ status: 413, body: { code: 40005, message: 'Request entity too large: a.png is over the 25 MB limit.' } }]);
    const e = await rest.sendMessageWithFiles('9', {}, files).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe(40005);
    expect(e.message).toMatch(/too large/);
  });
  test('a 401 refreshes the token and sends once more', async () => {
    const { rest, calls } = client([{ status: 401, body: { code: 0, message: '401: Unauthorized' } }, { body: { id: '6' } }]);
    expect((await rest.sendMessageWithFiles('9', {}, files)).id).toBe('6');
    expect(calls.map((c) => c.headers.authorization)).toEqual(['Bearer a1', 'Bearer a2']);
  });
  test('cancel and network failures are told apart', async () => {
    const { rest } = client([new UploadCancelledError(), new UploadNetworkError('lost')]);
    await expect(rest.sendMessageWithFiles('9', {}, files)).rejects.toBeInstanceOf(UploadCancelledError);
    await expect(rest.sendMessageWithFiles('9', {}, files)).rejects.toBeInstanceOf(NetworkError);
  });
  test('refreshUrls maps originals to fresh URLs', async () => {
    const bodies: unknown[] = [];
    const rest = new RestClient({
      tokens: new MemoryTokenStore({ token: 'a1', refreshToken: 'r1', userId: '1', expiresAt: Date.now() + 600_000 }),
      fetch: async (_u, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return new Response(JSON.stringify({ refreshed_urls: [{ original: 'o', refreshed: 'r' }] }), { status: 200 });
      },
    });
    expect([...(await rest.refreshUrls(['o', 'gone']))]).toEqual([['o', 'r']]);
    expect(bodies).toEqual([{ attachment_urls: ['o', 'gone'] }]);
  });
});
