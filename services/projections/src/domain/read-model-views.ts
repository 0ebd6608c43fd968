import type { ConversationView, MessageView, UserView } from '@chat/contracts';
import { userViewOf } from './messages.projection';
import type { ConversationDoc, MessageState, UserDoc } from './read-model-documents';

/** Read-model documents as the API shows them (contracts' views.ts): what REST and sockets return. */

export function userView(doc: UserDoc): UserView {
  return userViewOf(doc._id, doc);
}

export function messageView(message: MessageState): MessageView {
  return {
    _id: message._id,
    conversationId: message.conversationId,
    senderId: { ...message.sender },
    text: message.deleted ? null : message.text,
    media: message.deleted ? [] : message.media.map((item) => ({ ...item })),
    messageType: message.messageType,
    status: message.status,
    replyTo: message.replyTo && { _id: message.replyTo._id, text: message.replyTo.text, senderId: { ...message.replyTo.senderId } },
    createdAt: message.createdAt,
    updatedAt: message.updatedAt,
    deleted: message.deleted,
  };
}

/**
 * A conversation as one user sees it. Participants in the order they joined, from the
 * registered users' views; one that is not registered shows with an empty name.
 */
export function conversationView(doc: ConversationDoc, users: ReadonlyMap<string, UserView>, unreadCount: number): ConversationView {
  return {
    _id: doc._id,
    type: doc.type,
    name: doc.name,
    groupImage: doc.groupImage,
    participants: doc.participantIds.map((id) => ({ ...(users.get(id) ?? userViewOf(id, null)) })),
    admins: [...doc.admins],
    lastMessage: doc.lastMessage && messageView(doc.lastMessage),
    unreadCount,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}
