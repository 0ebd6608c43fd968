// The README's two-minute tour: a tiny Socket.IO client, written only against the spec.
//   node scripts/tour-client.cjs listen <token> <conversationId>   prints what arrives, marks it read
//   node scripts/tour-client.cjs send <token> <conversationId> <text>
// URL: CHAT_URL (default http://localhost:3100).
const { io } = require('socket.io-client');

const [mode, token, conversationId, ...words] = process.argv.slice(2);
if (!['listen', 'send'].includes(mode) || !token || !conversationId) {
  console.error('usage: node scripts/tour-client.cjs listen|send <token> <conversationId> [text]');
  process.exit(2);
}
const socket = io(process.env.CHAT_URL || 'http://localhost:3100', { auth: { token }, transports: ['websocket', 'polling'] });
socket.on('connect_error', (error) => {
  console.error('connect_error:', error.message);
  process.exit(1);
});
socket.on('error', ({ message }) => console.error('error:', message));
socket.on('connect', () => {
  socket.emit('join:conversation', { conversationId });
  if (mode === 'send') {
    socket.emit('send:message', { conversationId, text: words.join(' ') || 'Hello!', messageType: 'text' });
    socket.on('message:sent', (sent) => {
      console.log('message:sent', sent);
      socket.close();
    });
    return;
  }
  console.log(`listening on conversation ${conversationId} (Ctrl-C to stop)`);
});
if (mode === 'listen') {
  socket.on('new:message', ({ message }) => {
    console.log('new:message', JSON.stringify(message));
    socket.emit('message:read', { conversationId, messageIds: [message._id] });
  });
  for (const event of ['messages:read', 'typing:start', 'typing:stop', 'message:deleted', 'user:online', 'user:offline']) {
    socket.on(event, (payload) => console.log(event, JSON.stringify(payload)));
  }
}
