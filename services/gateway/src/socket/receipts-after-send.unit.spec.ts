import { ReceiptsAfterSend } from './receipts-after-send';

describe('ReceiptsAfterSend', () => {
  it('holds receipts of a message whose send is unanswered, and hands them over once it is', () => {
    const receipts = new ReceiptsAfterSend<string>();
    receipts.sending('m1');
    expect(receipts.hold('m1', 'delivered m1')).toBe(true);
    expect(receipts.hold('m2', 'delivered m2')).toBe(false);
    expect(receipts.answered('m1')).toEqual(['delivered m1']);
    // Answered: later receipts of it go out at once, and nothing is left behind.
    expect(receipts.hold('m1', 'again')).toBe(false);
    expect(receipts.answered('m1')).toEqual([]);
    expect(receipts.size).toBe(0);
  });
});
