import CivicCases
import CivicStore
import CivicTriage
import CivicWire
import Foundation

/// The open cases an intake node compares new reports against (多头重复交办).
/// Lives on the writer thread with the engine; rebuilt at start from the cases created inside the window
/// (an index range on created_at, not a scan of every case).
final class DuplicateRegistry {
    let window: TimeInterval
    private let index: DuplicateIndex

    private let scope: OperationScope

    init(window: TimeInterval = 7 * 86400, scope: OperationScope = OperationScope()) {
        self.window = window
        self.index = DuplicateIndex(window: window)
        self.scope = scope
    }

    static func text(subject: String, detail: String) -> String { subject + " " + detail }

    func add(_ c: Case) {
        guard c.state.isOpen else { return }
        scope.onRollback { [index] in index.remove(caseId: c.id) }
        index.add(DuplicateCandidate(caseId: c.id, text: Self.text(subject: c.subject, detail: c.detail),
                                     placeId: c.attributes["place"] ?? c.location.division, phone: c.citizen.phone, createdAt: c.createdAt))
    }

    /// - Parameter c: the case, so that a rolled-back removal can put it back.
    func remove(_ c: Case) {
        index.remove(caseId: c.id)
        scope.onRollback { [weak self] in self?.add(c) }
    }

    /// - Parameter place: the unit the new report was placed at (or its division code), nil when unknown.
    func findDuplicate(of draft: CaseDraft, place: String?, at now: Date) -> DuplicateMatch? {
        index.findDuplicate(text: Self.text(subject: draft.subject, detail: draft.detail),
                            placeId: place, phone: draft.citizen.phone, at: now)
    }

    var count: Int { index.count }

    func load(from db: Database, decoder: JSONDecoder, now: Date) throws {
        let since = now.addingTimeInterval(-window)
        let rows = try db.query("SELECT body FROM cases WHERE created_at >= ? AND state != 'resolved'", [.text(WireDate.format(since))])
        for row in rows {
            if let body = row.string("body"), let c = try? WireJSON.decodeCase(body.utf8) { add(c) }
        }
    }
}
