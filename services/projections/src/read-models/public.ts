/**
 * What other services may use of the read side: the queries on the read models it owns.
 * The projections service is the only writer of those collections; readers go through these
 * functions so the stored document shape stays this service's own business.
 */
export {
  type ConversationLookup, type MessagesPageLookup, type MessagesPageOptions, ReadModelQueries, type ReadModelQueriesOptions,
  type UndeliveredMessages,
} from './queries';
export { ParticipantLists } from './participant-lists';
export { ReadModelsProgress, type ReadModelsProgressOptions } from './read-models-progress';
