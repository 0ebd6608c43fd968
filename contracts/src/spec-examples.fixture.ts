/**
 * Payloads copied from spec/socket-messaging.md, so the tests prove the schemas accept what
 * clients written against that document send. Server shapes use real ObjectIds and ISO
 * timestamps where the spec writes 'string' and 'ISO Date String'.
 */
const conversationId = '507f1f77bcf86cd799439011';
const uploadData = {
  success: true,
  data: {
    url: 'https://res.cloudinary.com/.../image.jpg',
    type: 'image',
    format: 'jpg',
    fileSize: 245678,
    filename: 'image.jpg',
  },
};

export const clientExamples = {
  'join:conversation': [{ conversationId }, { conversationId: 'ID' }],
  'leave:conversation': [{ conversationId }],
  'typing:start': [{ conversationId }],
  'typing:stop': [{ conversationId }],
  'send:message': {
    text: { conversationId, text: 'Hello, how are you?', messageType: 'text' },
    media: {
      conversationId,
      text: 'Check this out!',
      media: [{ url: 'https://res.cloudinary.com/.../image.jpg', type: 'image', filename: 'photo.jpg', size: 245678 }],
      messageType: 'image',
    },
    reply: { conversationId, text: 'That sounds great!', messageType: 'text', replyTo: '507f1f77bcf86cd799439012' },
    formatsText: { conversationId: 'string', text: 'Hello, world!', messageType: 'text' },
    formatsUpload: {
      conversationId: 'string',
      text: 'Optional caption',
      media: [{ url: uploadData.data.url, type: uploadData.data.type, filename: 'photo.jpg', size: uploadData.data.fileSize }],
      messageType: uploadData.data.type,
    },
    formatsReply: { conversationId: 'string', text: 'This is a reply', messageType: 'text', replyTo: '507f1f77bcf86cd799439012' },
    quickReference: { conversationId: 'ID', text: 'Hello', messageType: 'text' },
    // useSocketMessaging().sendMessage(conversationId, text, media = [])
    reactText: { conversationId, text: 'hi', media: [], messageType: 'text' },
    reactMediaOnly: {
      conversationId,
      text: undefined,
      media: [{ url: 'https://cdn.example.com/v.mp4', type: 'video', filename: 'v.mp4', size: 1024 }],
      messageType: 'video',
    },
    // SocketMessagingService.sendMessage(conversationId:, text:, media:)
    flutterNoText: { conversationId, text: null, media: [], messageType: 'text' },
    flutterMedia: {
      conversationId,
      text: null,
      media: [{ url: 'https://cdn.example.com/f.pdf', type: 'file', filename: null, size: null }],
      messageType: 'file',
    },
  },
  'message:read': {
    specific: { conversationId, messageIds: ['507f1f77bcf86cd799439012', '507f1f77bcf86cd799439013'] },
    all: { conversationId, messageIds: [] },
    quickReference: { conversationId: 'ID', messageIds: [] },
  },
};

export const uploadResponseExample = uploadData;

const sender = { _id: '507f1f77bcf86cd799439021', name: 'Ada', profileImage: 'https://cdn.example.com/ada.png' };
const at = '2024-05-01T10:00:00.000Z';

export const messageExample = {
  _id: '507f1f77bcf86cd799439031',
  conversationId,
  senderId: sender,
  text: 'That sounds great!',
  media: [{ url: 'https://res.cloudinary.com/.../image.jpg', type: 'image', filename: null, size: null }],
  messageType: 'image',
  status: 'sent',
  replyTo: { _id: '507f1f77bcf86cd799439012', text: 'Lunch?', senderId: { ...sender, _id: '507f1f77bcf86cd799439022' } },
  createdAt: at,
  updatedAt: at,
  deleted: false,
};

export const serverExamples = {
  'new:message': { message: messageExample },
  'message:sent': { messageId: '507f1f77bcf86cd799439031', conversationId },
  'message:delivered': { messageId: '507f1f77bcf86cd799439031' },
  'messages:read': {
    messageIds: ['507f1f77bcf86cd799439031'],
    readBy: '507f1f77bcf86cd799439022',
    conversationId,
  },
  'typing:start': { userId: '507f1f77bcf86cd799439022', conversationId },
  'typing:stop': { userId: '507f1f77bcf86cd799439022', conversationId },
  'user:online': { userId: '507f1f77bcf86cd799439022' },
  'user:offline': { userId: '507f1f77bcf86cd799439022' },
  'message:deleted': { messageId: '507f1f77bcf86cd799439031', conversationId },
  'group:photo:updated': {
    groupId: conversationId,
    groupImage: 'https://res.cloudinary.com/.../group.jpg',
    updatedBy: '507f1f77bcf86cd799439021',
  },
  'group:photo:removed': { groupId: conversationId, groupImage: null, removedBy: '507f1f77bcf86cd799439021' },
  error: { message: 'Conversation not found' },
} as const;
