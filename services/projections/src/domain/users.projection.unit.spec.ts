import { evolveUser } from './users.projection';
import type { UserDoc } from './read-model-documents';
import { alice, blocked, bob, carol, context, given, oneOfEach, pos, registered, unblocked } from './testing/projection-fixtures';

describe('users projection', () => {
  describe('UserRegistered', () => {
    it('creates the user with no blocks', () => {
      const { documents, changes } = given().when(registered(alice, 'Alice', 'https://cdn.example.com/alice.png'));
      expect(documents.users.get(alice)).toEqual({
        _id: alice,
        name: 'Alice',
        profileImage: 'https://cdn.example.com/alice.png',
        registered: true,
        blocks: [],
        position: pos(1),
      });
      expect(changes.documents.users).toEqual([alice]);
    });

    it('keeps a missing profile image as null (views show it as "")', () => {
      const { documents } = given().when(registered(alice, 'Alice', null));
      expect(documents.users.get(alice)?.profileImage).toBeNull();
    });

    it('fills in a placeholder left by a block projected before the registration, keeping the block', () => {
      const { documents } = given(blocked(alice, bob)).when(registered(alice, 'Alice'));
      expect(documents.users.get(alice)).toMatchObject({ name: 'Alice', registered: true, blocks: [bob], position: pos(2) });
    });

    it('changes nothing when the user is registered already', () => {
      const { changes } = given(registered(alice, 'Alice')).when(registered(alice, 'Alice'));
      expect(changes.documents.users).toEqual([]);
    });
  });

  describe('UserBlocked', () => {
    it("adds the blocked user to the blocker's blocks, in order", () => {
      const { documents, changes } = given(registered(alice), registered(bob), registered(carol), blocked(alice, carol)).when(
        blocked(alice, bob),
      );
      expect(documents.users.get(alice)).toMatchObject({ blocks: [carol, bob], position: pos(5) });
      expect(documents.users.get(bob)?.blocks).toEqual([]);
      expect(changes.documents.users).toEqual([alice]);
    });

    it('changes nothing when that block exists already', () => {
      const { changes } = given(registered(alice), blocked(alice, bob)).when(blocked(alice, bob));
      expect(changes.documents.users).toEqual([]);
    });

    it('keeps a block met before the registration on an unregistered placeholder', () => {
      const { documents } = given().when(blocked(alice, bob));
      expect(documents.users.get(alice)).toEqual({ _id: alice, name: '', profileImage: null, registered: false, blocks: [bob], position: pos(1) });
    });
  });

  describe('UserUnblocked', () => {
    it('removes the block', () => {
      const { documents } = given(registered(alice), blocked(alice, bob), blocked(alice, carol)).when(unblocked(alice, bob));
      expect(documents.users.get(alice)).toMatchObject({ blocks: [carol], position: pos(4) });
    });

    it('changes nothing when there was no such block', () => {
      const { changes } = given(registered(alice), blocked(bob, alice)).when(unblocked(alice, bob));
      expect(changes.documents.users).toEqual([]);
    });
  });

  it('ignores every event about anyone or anything else', () => {
    const doc: UserDoc = { _id: alice, name: 'Alice', profileImage: null, registered: true, blocks: [bob], position: pos(1) };
    for (const event of oneOfEach()) expect(evolveUser(doc, event, context(99))).toBe(doc);
  });
});
