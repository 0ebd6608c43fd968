/**
 * Ends a switch that handles every member of a union, as a statement: once the union grows
 * (a new event type), the compiler rejects the call, listing every switch the new member must
 * be handled in. Switches that return a value get the same from their return type.
 */
export function unhandled(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
