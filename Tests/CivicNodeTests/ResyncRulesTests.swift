import CivicNode
import Testing

/// The pure rule a restored link follows when it meets its peer again (docs/protocol.md §3.3).
struct ResyncRulesTests {
    typealias Link = ResyncRules.Link
    typealias Loss = ResyncRules.Loss

    @Test func aPeerThatAppliedWhatWasSentAfterTheBackupMovesTheQueuedLinesAfterItsNumber() throws {
        // Backup: next seq 11 (10 sent), 8 acknowledged, 20 applied from the peer. Since the restore, 3 lines were
        // queued as 11, 12, 13. The peer applied up to 15 of ours and we had acknowledged 27 of its.
        let plan = try ResyncRules.plan(link: Link(nextOut: 14, ackedOut: 8, appliedIn: 20), restoredNextOut: 11, peerApplied: 15, peerAcked: 27).get()
        #expect(plan.shift == 5, "11, 12, 13 become 16, 17, 18")
        #expect(plan.dropUpTo == 10, "the backup's rows 9 and 10 are the peer's already")
        #expect(plan.link == Link(nextOut: 19, ackedOut: 15, appliedIn: 27))
        #expect(plan.losses == [Loss(.toPeer, 11, 15), Loss(.fromPeer, 21, 27)])
    }

    @Test func aBackupTakenAfterTheLastTrafficLosesNothing() throws {
        let plan = try ResyncRules.plan(link: Link(nextOut: 11, ackedOut: 10, appliedIn: 20), restoredNextOut: 11, peerApplied: 10, peerAcked: 20).get()
        #expect(plan.shift == 0)
        #expect(plan.link == Link(nextOut: 11, ackedOut: 10, appliedIn: 20))
        #expect(plan.losses.isEmpty)
    }

    @Test func aPeerBehindTheBackupsOutboxGetsItResentAndNothingMoves() throws {
        // The peer applied 9 of the backup's 10: row 10 is resent, the lines queued since follow it unchanged.
        let plan = try ResyncRules.plan(link: Link(nextOut: 13, ackedOut: 8, appliedIn: 5), restoredNextOut: 11, peerApplied: 9, peerAcked: 5).get()
        #expect(plan.shift == 0)
        #expect(plan.dropUpTo == 9)
        #expect(plan.link == Link(nextOut: 13, ackedOut: 9, appliedIn: 5))
        #expect(plan.losses.isEmpty)
    }

    @Test func aPeerTooOldToSayWhatItHoldsLeavesTheInboundSideAsItIs() throws {
        let plan = try ResyncRules.plan(link: Link(nextOut: 11, ackedOut: 10, appliedIn: 20), restoredNextOut: 11, peerApplied: 12, peerAcked: nil).get()
        #expect(plan.link == Link(nextOut: 13, ackedOut: 12, appliedIn: 20))
        #expect(plan.losses == [Loss(.toPeer, 11, 12)])
    }

    @Test func aPeerThatAppliedLessThanTheBackupSaysItAcknowledgedIsRefused() {
        let result = ResyncRules.plan(link: Link(nextOut: 11, ackedOut: 10, appliedIn: 20), restoredNextOut: 11, peerApplied: 7, peerAcked: 20)
        #expect(throws: ResyncRules.Refusal.peerBehindBackup(peerApplied: 7, backupAcked: 10)) { try result.get() }
        #expect("\(ResyncRules.Refusal.peerBehindBackup(peerApplied: 7, backupAcked: 10))".contains("restored to an older moment"))
    }
}
