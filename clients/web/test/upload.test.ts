import { describe, expect, test } from 'vitest';
import {
  ApiError, MemoryTokenStore, RestClient, UploadCancelledError, type Message, type UploadFn, type UploadRequest, type UploadResponse,
} from '@together/shared';
import { DraftFiles, FileSender, describeUploadError, nameOf, type UrlMaker } from '../src/upload';
import { refreshAttachmentUrl } from '../src/attachmentUrls';
import { ServerData } from '../src/state/data';
import { applyDispatch } from '../src/state/events';

const MB = 1024 * 1024;

function urls() {
  const made: string[] = [];
  const revoked: string[] = [];
  const maker: UrlMaker = { create: () => { made.push(`blob:${made.length}`); return made[made.length - 1]; }, revoke: (u) => void revoked.push(u) };
  return { maker, made, revoked };
}

const file = (name: string, size: number, type = 'application/octet-stream') => Object.assign(new Blob([new Uint8Array(size)], { type }), { name });

describe('the tray (pending uploads)', () => {
  test('adds files with a preview URL for images only', () => {
    const u = urls();
    const d = new DraftFiles(undefined, u.maker);
    expect(d.add('c', [file('a.png', 10, 'image/png'), file('b.txt', 5, 'text/plain')])).toBeNull();
    const list = d.get('c');
    expect(list.map((f) => [f.name, f.size, f.previewUrl])).toEqual([['a.png', 10, 'blob:0'], ['b.txt', 5, undefined]]);
    expect(d.get('other')).toEqual([]);
  });
  test('refuses the whole batch over the count or size limit, keeping what was there', () => {
    const d = new DraftFiles({ maxFiles: 2, maxBytes: MB }, urls().maker);
    d.add('c', [file('a', 1)]);
    expect(d.add('c', [file('b', 1), file('c', 1)])).toBe('You can only upload 2 files at a time.');
    expect(d.add('c', [file('big', MB + 1)])).toBe('big is too large: files can be up to 1 MB.');
    expect(d.get('c').map((f) => f.name)).toEqual(['a']);
  });
  test('spoiler and description edits; remove revokes the preview; take empties the tray', () => {
    const u = urls();
    const d = new DraftFiles(undefined, u.maker);
    d.add('c', [file('a.png', 1, 'image/png'), file('b.png', 1, 'image/png')]);
    const [a, b] = d.get('c');
    d.update('c', a.id, { spoiler: true, description: 'alt' });
    expect(d.get('c')[0]).toMatchObject({ spoiler: true, description: 'alt' });
    d.remove('c', b.id);
    expect(u.revoked).toEqual(['blob:1']);
    const taken = d.take('c');
    expect(taken.map((f) => f.name)).toEqual(['a.png']);
    expect(d.get('c')).toEqual([]);
    expect(d.byChannel.has('c')).toBe(false);
  });
  test('pasted screenshots get distinct, time-stamped names; real names are kept', () => {
    const now = new Date('2026-11-26T01:02:03Z');
    expect(nameOf(file('image.png', 1, 'image/png'), 0, now)).toBe('image_20261126_010203.png');
    expect(nameOf(file('image.png', 1, 'image/png'), 2, now)).toBe('image_20261126_010203_2.png');
    expect(nameOf(Object.assign(new Blob([], { type: 'image/jpeg' }), { name: '' }), 0, now)).toBe('image_20261126_010203.jpg');
    expect(nameOf(file('holiday.png', 1, 'image/png'))).toBe('holiday.png');
  });
});

describe('upload errors in words', () => {
  test('413 with the server message, 403 about files, 50035 about the count', () => {
    expect(describeUploadError(new ApiError(413, 40005, 'Request entity too large: a.bin is over the 1 MB limit.'))).toBe('Request entity too large: a.bin is over the 1 MB limit.');
    expect(describeUploadError(new ApiError(413, 0, '413: Payload Too Large'))).toBe('The upload is too large for this server.');
    expect(describeUploadError(new ApiError(413, 40005, 'Request entity too large'))).toBe('The upload is too large for this server.');
    expect(describeUploadError(new ApiError(403, 50013, 'Missing Permissions'))).toBe('You do not have permission to attach files in this channel.');
    expect(describeUploadError(new ApiError(400, 50035, 'Invalid Form Body', [{ path: 'files', code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 10 or fewer in length.' }])))
      .toBe('Too many files: Must be 10 or fewer in length.');
  });
});

const reply = (status: number, body: unknown): UploadResponse => ({ status, statusText: '', text: JSON.stringify(body), header: () => null });

/** A FileSender over a fake upload that waits until the test answers. */
function sender() {
  const data = new ServerData();
  data.selfId = '1';
  data.users.set('1', { id: '1', username: 'alice' });
  const pending: Array<{ req: UploadRequest; answer: (r: UploadResponse | Error) => void }> = [];
  const upload: UploadFn = (req) => new Promise((resolve, reject) => {
    pending.push({ req, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    req.signal?.addEventListener('abort', () => reject(new UploadCancelledError()));
  });
  const rest = new RestClient({ tokens: new MemoryTokenStore({ token: 't', refreshToken: 'r', userId: '1', expiresAt: Date.now() + 600_000 }), upload });
  const u = urls();
  const s = new FileSender(rest, data, undefined, u.maker);
  return { s, data, pending, revoked: u.revoked };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const sent = (id: string, nonce: string): Message => ({
  id, channel_id: 'c', author: { id: '1', username: 'alice' }, content: 'hi', timestamp: '2026-11-26T00:00:00Z', edited_timestamp: null, type: 0, nonce,
  attachments: [{ id: '9', filename: 'a.png', size: 3, url: 'u', proxy_url: 'u', content_type: 'image/png', width: 1, height: 1 }],
});

describe('sending files', () => {
  test('an optimistic message shows progress, then the REST answer replaces it and the previews are released', async () => {
    const { s, data, pending, revoked } = sender();
    s.drafts.add('c', [file('a.png', 3, 'image/png')]);
    const done = s.send('c', 'hi', s.drafts.take('c'));
    await tick();
    const key = data.timelines.get('c')!.pending[0];
    expect(key).toMatch(/^pending:/);
    expect(data.messages.get(key)).toMatchObject({ pending: 'sending', content: 'hi' });
    expect(s.owns(key)).toBe(true);
    expect(s.fileNames(key)).toEqual(['a.png']);
    pending[0].req.onProgress?.(120, 400);
    expect(s.progress.get(key)).toEqual({ loaded: 120, total: 400, files: 1 });
    const payload = JSON.parse(await (pending[0].req.body.get('payload_json') as Blob).text());
    expect(payload).toMatchObject({ content: 'hi', enforce_nonce: true, attachments: [{ id: 0, filename: 'a.png' }] });
    pending[0].answer(reply(200, sent('100', payload.nonce)));
    await done;
    expect(data.timelines.get('c')).toMatchObject({ ids: ['100'], pending: [] });
    expect(data.messages.has(key)).toBe(false);
    expect(s.progress.has(key)).toBe(false);
    expect(s.owns(key)).toBe(false);
    expect(revoked).toEqual(['blob:0']);
  });

  test('the gateway echo (same nonce) may come first', async () => {
    const { s, data, pending } = sender();
    const done = s.send('c', '', [{ id: 'd', file: file('a', 1), name: 'a', size: 1, type: '', spoiler: false, description: '' }]);
    await tick();
    const nonce = JSON.parse(await (pending[0].req.body.get('payload_json') as Blob).text()).nonce;
    applyDispatch(data, 'MESSAGE_CREATE', sent('100', nonce));
    expect(data.timelines.get('c')).toMatchObject({ ids: ['100'], pending: [] });
    pending[0].answer(reply(200, sent('100', nonce)));
    await done;
    expect(data.timelines.get('c')).toMatchObject({ ids: ['100'], pending: [] });
  });

  test('a refusal marks the copy failed in words; Retry sends the same files under the same nonce', async () => {
    const { s, data, pending } = sender();
    const files = [{ id: 'd', file: file('big.bin', 5), name: 'big.bin', size: 5, type: '', spoiler: true, description: '' }];
    const first = s.send('c', 'x', files);
    await tick();
    pending[0].answer(reply(413, { code: 40005, message: 'Request entity too large: big.bin is over the 1 MB limit.' }));
    await first;
    const key = data.timelines.get('c')!.pending[0];
    expect(data.messages.get(key)).toMatchObject({ pending: 'failed', error: 'Request entity too large: big.bin is over the 1 MB limit.' });
    expect(s.owns(key)).toBe(true);
    s.retry('c', key);
    await tick();
    const again = pending[1].req.body;
    expect((again.get('files[0]') as File).name).toBe('SPOILER_big.bin');
    expect(JSON.parse(await (again.get('payload_json') as Blob).text()).nonce).toBe(key.slice('pending:'.length));
    expect(data.messages.get(key)?.pending).toBe('sending');
  });

  test('cancel aborts the request and removes the copy', async () => {
    const { s, data, pending } = sender();
    const done = s.send('c', 'x', [{ id: 'd', file: file('a', 1), name: 'a', size: 1, type: '', spoiler: false, description: '' }]);
    await tick();
    const key = data.timelines.get('c')!.pending[0];
    s.cancel('c', key);
    await done;
    expect(pending[0].req.signal?.aborted).toBe(true);
    expect(data.messages.has(key)).toBe(false);
    expect(data.timelines.get('c')!.pending).toEqual([]);
    expect(s.owns(key)).toBe(false);
  });
});

describe('expired attachment URLs', () => {
  test('a fresh URL replaces the old one on the stored message; none given means unavailable', async () => {
    const data = new ServerData();
    data.addMessages('c', [sent('100', 'n')]);
    const rest = { refreshUrls: async (list: string[]) => new Map(list.filter((u) => u === 'u').map((u) => [u, 'fresh'])) };
    expect(await refreshAttachmentUrl(rest, data, '100', '9', 'u')).toBe(true);
    expect(data.messages.get('100')!.attachments![0]).toMatchObject({ url: 'fresh', proxy_url: 'fresh' });
    expect(await refreshAttachmentUrl(rest, data, '100', '9', 'gone')).toBe(false);
    const failing = { refreshUrls: async () => { throw new Error('offline'); } };
    expect(await refreshAttachmentUrl(failing, data, '100', '9', 'fresh')).toBe(false);
  });
});
