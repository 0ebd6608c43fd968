/** Nest injection token for the read-model queries (ReadModelQueries is a plain class of another package). */
export const READ_MODELS = Symbol('READ_MODELS');
