import { type ConversationView, ErrorMessage, type GroupPhotoView, type UploadedMedia } from '@chat/contracts';
import { waitFor } from '@chat/runtime/testing';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ChatSystem, collect, next } from './testing/chat-system';
import { pdf, png, upload as uploadTo } from './testing/uploads';

let system: ChatSystem;

beforeAll(async () => {
  system = await ChatSystem.start();
}, 180_000);

afterAll(async () => {
  await system?.stop();
});

function upload(
  path: string,
  file: { bytes: Buffer; name: string; type: string } | undefined,
  token: string | undefined,
  method = 'POST',
): ReturnType<typeof uploadTo> {
  return uploadTo(`${system.url}${path}`, file, token, method);
}

function storedFiles(): string[] {
  const root = join(system.mediaDir, 'files');
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => !name.endsWith('.json') && name.includes('.'));
  } catch {
    return [];
  }
}

function incomingParts(): string[] {
  try {
    return readdirSync(join(system.mediaDir, 'incoming'));
  } catch {
    return [];
  }
}

async function group(admin: { user: { _id: string }; token: string }, members: { user: { _id: string } }[]): Promise<string> {
  const created = await system.rest<ConversationView>('POST', '/api/conversations', {
    token: admin.token,
    body: { participantIds: members.map((m) => m.user._id), name: 'Photos' },
  });
  if (!created.body.success) throw new Error(created.body.message);
  return created.body.data._id;
}

describe('POST /api/media/upload through the gateway', () => {
  it('stores an image and answers the spec shape; the url serves the same bytes on :PORT with its type', async () => {
    const alice = await system.user('Alice');
    const bytes = png();
    const answer = await upload('/api/media/upload', { bytes, name: 'photo.png', type: 'image/png' }, alice.token);
    expect(answer.status).toBe(201);
    const data = answer.body.data as UploadedMedia;
    expect(answer.body).toEqual({ success: true, data: { url: expect.any(String), type: 'image', format: 'png', fileSize: bytes.length, filename: 'photo.png' } });
    expect(data.url.startsWith(`${system.url}/media/files/`)).toBe(true);

    const served = await fetch(data.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
    const ranged = await fetch(data.url, { headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(bytes.subarray(0, 8));
  });

  it('serves documents as attachments, and answers unknown files 404', async () => {
    const alice = await system.user('Alice');
    const answer = await upload('/api/media/upload', { bytes: pdf(), name: 'notes.pdf', type: 'application/pdf' }, alice.token);
    expect(answer.status).toBe(201);
    const { url, type } = answer.body.data as UploadedMedia;
    expect(type).toBe('file');
    const served = await fetch(url);
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(served.headers.get('content-disposition')).toBe('attachment; filename="notes.pdf"');
    await served.arrayBuffer();
    const missing = await fetch(`${system.url}/media/files/${'A'.repeat(38)}.png`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ success: false, message: ErrorMessage.NotFound });
  });

  it('refuses without a token, for an unknown user, without a file, and a disguised script', async () => {
    const before = storedFiles().length;
    const file = { bytes: png(), name: 'a.png', type: 'image/png' };
    expect(await upload('/api/media/upload', file, undefined)).toEqual({ status: 401, body: { success: false, message: ErrorMessage.AuthTokenRequired } });
    expect(await upload('/api/media/upload', file, system.tokens.sign('0123456789abcdef01234567'))).toEqual({
      status: 401,
      body: { success: false, message: ErrorMessage.AuthUserNotFound },
    });
    const alice = await system.user('Alice');
    const none = await upload('/api/media/upload', undefined, alice.token);
    expect(none.status).toBe(400);
    expect(none.body.success).toBe(false);
    const disguised = await upload('/api/media/upload', { bytes: Buffer.from('<script>alert(1)</script>'), name: 'x.png', type: 'image/png' }, alice.token);
    expect(disguised.status).toBe(415);
    expect(disguised.body.message).toMatch(/^Unsupported file type/);
    expect(storedFiles().length).toBe(before);
  });

  it('answers 413 to a file of 20 MB + 1 byte and keeps nothing of it', async () => {
    const alice = await system.user('Alice');
    const before = storedFiles().length;
    const bytes = Buffer.concat([pdf(), Buffer.alloc(20 * 1024 * 1024 + 1 - pdf().length, 7)]);
    const answer = await upload('/api/media/upload', { bytes, name: 'big.pdf', type: 'application/pdf' }, alice.token);
    expect(answer).toEqual({ status: 413, body: { success: false, message: 'File too large (max 20 MB)' } });
    expect(storedFiles().length).toBe(before);
    // The gateway and the media service take the next upload as usual.
    expect((await upload('/api/media/upload', { bytes: png(), name: 'ok.png', type: 'image/png' }, alice.token)).status).toBe(201);
  });

  it('drops an upload whose client goes away mid-body: no part file is left, the next upload works', async () => {
    const alice = await system.user('Alice');
    const before = storedFiles().length;
    const boundary = 'x-boundary-x';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const { hostname, port } = new URL(system.url);
    const req = request({
      hostname,
      port,
      method: 'POST',
      path: '/api/media/upload',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + 10 * 1024 * 1024),
      },
    });
    req.on('error', () => undefined);
    req.write(Buffer.concat([head, pdf(), Buffer.alloc(2 * 1024 * 1024, 1)]));
    // The part file exists while the body streams in...
    await waitFor(() => incomingParts().length > 0, 10_000, () => 'a part file under incoming/');
    req.destroy();
    // ...and is gone once the client is.
    await waitFor(() => incomingParts().length === 0, 10_000, () => `incoming/ to empty: ${incomingParts().join(', ')}`);
    expect(storedFiles().length).toBe(before);
    expect((await upload('/api/media/upload', { bytes: png(), name: 'after.png', type: 'image/png' }, alice.token)).status).toBe(201);
  });
});

describe('messages with media', () => {
  it('carry urls this system issued; foreign and forged urls are refused with an error naming the problem', async () => {
    const alice = await system.user('Alice');
    const bob = await system.user('Bob');
    const conversationId = await group(alice, [bob]);
    const uploaded = (await upload('/api/media/upload', { bytes: png(), name: 'cat.png', type: 'image/png' }, alice.token)).body.data as UploadedMedia;
    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token);
    for (const socket of [a, b]) expect(await socket.emitWithAck('join:conversation', { conversationId })).toMatchObject({ success: true });

    const arrived = next(b, 'new:message');
    a.emit('send:message', {
      conversationId,
      media: [{ url: uploaded.url, type: uploaded.type, filename: uploaded.filename, size: uploaded.fileSize }],
      messageType: uploaded.type,
    });
    expect((await arrived).message.media).toEqual([{ url: uploaded.url, type: 'image', filename: 'cat.png', size: uploaded.fileSize }]);

    const received = collect(b, 'new:message');
    const forged = `${uploaded.url.slice(0, -12)}AAAAAAAA.png`;
    for (const url of ['https://evil.example.net/cat.png', forged]) {
      const error = next(a, 'error');
      const ack = await a.emitWithAck('send:message', { conversationId, media: [{ url, type: 'image' }], messageType: 'image' });
      expect(ack).toEqual({ success: false, message: ErrorMessage.MediaUrlNotIssued });
      expect(await error).toEqual({ message: ErrorMessage.MediaUrlNotIssued });
    }
    // Hosts on the allow-list (MEDIA_ALLOWED_HOSTS) pass.
    const allowed = await a.emitWithAck('send:message', {
      conversationId,
      media: [{ url: 'https://cdn.example.com/x.jpg', type: 'image' }],
      messageType: 'image',
    });
    expect(allowed).toMatchObject({ success: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.map((event) => event.message.media[0]?.url)).toEqual(['https://cdn.example.com/x.jpg']);
  });
});

describe('group photo', () => {
  it('PUT uploads an image, every participant in the room gets group:photo:updated, the conversation shows it; DELETE removes it', async () => {
    const alice = await system.user('Alice');
    const bob = await system.user('Bob');
    const conversationId = await group(alice, [bob]);
    const a = await system.connect(alice.token);
    const b = await system.connect(bob.token);
    for (const socket of [a, b]) await socket.emitWithAck('join:conversation', { conversationId });

    const updates = [next(a, 'group:photo:updated'), next(b, 'group:photo:updated')];
    const put = await upload(`/api/conversations/${conversationId}/photo`, { bytes: png(), name: 'team.png', type: 'image/png' }, bob.token, 'PUT');
    expect(put.status).toBe(200);
    const { groupImage } = put.body.data as GroupPhotoView;
    expect(groupImage?.startsWith(`${system.url}/media/files/`)).toBe(true);
    expect(put.body).toEqual({ success: true, data: { groupImage } });
    for (const update of await Promise.all(updates)) expect(update).toEqual({ groupId: conversationId, groupImage, updatedBy: bob.user._id });
    const shown = await system.rest<ConversationView>('GET', `/api/conversations/${conversationId}`, { token: alice.token });
    expect(shown.body.success && shown.body.data.groupImage).toBe(groupImage);
    expect((await fetch(groupImage as string)).headers.get('content-type')).toBe('image/png');

    const removals = [next(a, 'group:photo:removed'), next(b, 'group:photo:removed')];
    const removed = await system.rest<GroupPhotoView>('DELETE', `/api/conversations/${conversationId}/photo`, { token: alice.token });
    expect(removed).toEqual({ status: 200, body: { success: true, data: { groupImage: null } } });
    for (const removal of await Promise.all(removals)) expect(removal).toEqual({ groupId: conversationId, groupImage: null, removedBy: alice.user._id });
    const after = await system.rest<ConversationView>('GET', `/api/conversations/${conversationId}`, { token: bob.token });
    expect(after.body.success && after.body.data.groupImage).toBeNull();
  });

  it('refuses what is not an image, callers who are not participants, direct conversations and unknown ids, storing nothing', async () => {
    const alice = await system.user('Alice');
    const bob = await system.user('Bob');
    const outsider = await system.user('Outsider');
    const conversationId = await group(alice, [bob]);
    const a = await system.connect(alice.token);
    await a.emitWithAck('join:conversation', { conversationId });
    const updates = collect(a, 'group:photo:updated');
    const before = storedFiles().length;
    const image = { bytes: png(), name: 'g.png', type: 'image/png' };

    const document = await upload(`/api/conversations/${conversationId}/photo`, { bytes: pdf(), name: 'g.pdf', type: 'application/pdf' }, alice.token, 'PUT');
    expect(document.status).toBe(415);
    expect(document.body.message).toMatch(/^Unsupported file type; allowed: images/);
    expect(await upload(`/api/conversations/${conversationId}/photo`, image, outsider.token, 'PUT')).toEqual({
      status: 403,
      body: { success: false, message: ErrorMessage.NotAParticipant },
    });
    const direct = await system.rest<ConversationView>('POST', '/api/conversations', { token: alice.token, body: { participantIds: [bob.user._id] } });
    const directId = direct.body.success ? direct.body.data._id : '';
    expect(await upload(`/api/conversations/${directId}/photo`, image, alice.token, 'PUT')).toEqual({
      status: 400,
      body: { success: false, message: ErrorMessage.NotAGroup },
    });
    for (const id of ['0123456789abcdef01234567', 'not-an-id']) {
      expect(await upload(`/api/conversations/${id}/photo`, image, alice.token, 'PUT')).toEqual({
        status: 404,
        body: { success: false, message: ErrorMessage.ConversationNotFound },
      });
    }
    expect((await upload(`/api/conversations/${conversationId}/photo`, image, undefined, 'PUT')).status).toBe(401);
    expect(await system.rest('DELETE', `/api/conversations/${conversationId}/photo`, { token: outsider.token })).toEqual({
      status: 403,
      body: { success: false, message: ErrorMessage.NotAParticipant },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updates).toEqual([]);
    expect(storedFiles().length).toBe(before);
  });
});
