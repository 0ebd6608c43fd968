import { MESSAGE_MEDIA_MAX, MESSAGE_TEXT_MAX_CHARS, READ_BATCH_MAX } from './limits';

/**
 * Every error string a client can see. The first group is verbatim from the Socket.IO spec
 * and the API contract, which clients match on; the rest are ours, where the contract only
 * asks for a message that names the problem.
 */
export const ErrorMessage = {
  AuthTokenRequired: 'Authentication error: Token required',
  AuthInvalidToken: 'Authentication error: Invalid token',
  AuthUserNotFound: 'Authentication error: User not found',
  ConversationNotFound: 'Conversation not found',
  NotAuthorizedToJoin: 'Not authorized to join this conversation',
  NotAuthorizedToSend: 'Not authorized to send message',
  SenderBlockedRecipient: 'You cannot send messages to a blocked user',
  ActionNotAvailable: 'Action not available',
  AudioNotAllowed: 'Audio messages are not allowed',
  FailedToSend: 'Failed to send message',
  FailedToJoin: 'Failed to join conversation',
  FailedToMarkRead: 'Failed to mark messages as read',
  /** Ours: any other command that could not be handled (it went to the dead-letter topic). */
  FailedToProcess: 'Failed to process command',

  MessageEmpty: 'Message must have text or media',
  MessageTextTooLong: `Message text exceeds ${MESSAGE_TEXT_MAX_CHARS} characters`,
  TooManyMedia: `Too many media items (max ${MESSAGE_MEDIA_MAX})`,
  MessageTypeMismatch: 'messageType does not match content',
  /** A media url neither uploaded here (POST /api/media/upload) nor on an allowed host. */
  MediaUrlNotIssued: 'Media url was not issued by this server; upload the file first',
  ReplyTargetNotFound: 'Reply target not found in this conversation',
  TooManyMessageIds: `Too many message ids (max ${READ_BATCH_MAX})`,
  NotAParticipant: 'Not a participant of this conversation',
  MessageNotFound: 'Message not found',
  NotMessageSender: 'Only the sender can delete this message',
  UserNotFound: 'User not found',
  NotAGroup: 'Not a group conversation',
  NotGroupAdmin: 'Only a group admin can do this',
  CannotBlockSelf: 'You cannot block yourself',
  CannotConverseWithSelf: 'You cannot start a conversation with yourself',
  UserAlreadyExists: 'User already exists',
  ConversationIdConflict: 'Conversation id already in use',
  MessageIdConflict: 'Message id already in use',
  ActingForAnotherUser: 'You cannot act for another user',
  InvalidPayload: 'Invalid payload',
  /** A socket or REST caller over its rate limit. */
  TooManyRequests: 'Too many requests, slow down',
  /** REST: no such route, or an id that names nothing. */
  NotFound: 'Not found',
  InvalidAdminKey: 'Invalid admin key',
  InternalError: 'Internal server error',
  /** The write side did not answer in time; the request may still take effect. */
  RequestTimedOut: 'The request timed out; it may still take effect',
} as const;

export type ErrorMessageText = (typeof ErrorMessage)[keyof typeof ErrorMessage];
