/**
 * `message:delivered` for a message sent to someone online is decided in the send's own
 * append, and reaches the gateway by another path than the send's answer (the read side's
 * notifications, not the write side's results): it may arrive first. A client learns a
 * message's id from `message:sent` and its acknowledgement, so a receipt before them would be
 * for a message it does not know yet. Receipts for a message whose send this gateway still
 * awaits are held until that send has been answered.
 */
export class ReceiptsAfterSend<T> {
  private readonly awaiting = new Map<string, T[]>();

  /** The send of this message is under way: its receipts wait. */
  sending(messageId: string): void {
    this.awaiting.set(messageId, []);
  }

  /** True when the receipt was held (its message's send is still unanswered here). */
  hold(messageId: string, receipt: T): boolean {
    const held = this.awaiting.get(messageId);
    if (held === undefined) return false;
    held.push(receipt);
    return true;
  }

  /** The send was answered (or given up): the receipts held for it, to go out now. */
  answered(messageId: string): T[] {
    const held = this.awaiting.get(messageId) ?? [];
    this.awaiting.delete(messageId);
    return held;
  }

  /** Sends under way (for tests and health). */
  get size(): number {
    return this.awaiting.size;
  }
}
