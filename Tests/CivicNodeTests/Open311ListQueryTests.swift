import CivicCases
import CivicStore
import CivicWire
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// The Open311 request list's query on a real SQLite file: it finds what the filter asks for anywhere in the
/// 90-day window, not only among the newest rows, and decodes only what it returns.
struct Open311ListQueryTests {
    static let start = Date(timeIntervalSince1970: 1_796_000_400)

    func database(olderMatches: Int, newerOthers: Int) throws -> (Database, TempDirectory) {
        let dir = TempDirectory("o311q")
        let db = try Database(path: dir.file("node.sqlite"))
        try db.migrate(Schema.migrations)
        try db.transaction {
            for i in 0..<(olderMatches + newerOthers) {
                let older = i < olderMatches
                let at = Self.start.addingTimeInterval(Double(i))
                let c = Case(id: "JC-\(i)", channel: .app, citizen: Citizen(), subject: "s\(i)", detail: "", location: Location(),
                             category: older ? "劳动和社会保障" : "城乡建设", intake: "city", createdAt: at,
                             state: older && i % 2 == 0 ? .resolved : .dispatched, holder: "d990101")
                try db.execute("INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, ?, ?, ?, ?, ?)",
                               [.text(c.id), .text(c.state.rawValue), .text(c.holder), .text(WireDate.format(at)), .text(WireDate.format(at)), .text(String(decoding: WireJSON.bytes(c), as: UTF8.self))])
            }
        }
        return (db, dir)
    }

    @Test func matchesOlderThanTheNewestThousandsAreFound() throws {
        let (db, dir) = try database(olderMatches: 6, newerOthers: 9_000)
        defer { db.close(); _ = dir }
        let q = CaseQueries(db: db, nodeId: "city")
        let window = CaseQueries.CreatedFilter(from: Self.start, to: Self.start.addingTimeInterval(86_400), open: nil, categories: ["劳动和社会保障"])
        #expect(try q.casesCreated(window, limit: 1000).map(\.id) == ["JC-5", "JC-4", "JC-3", "JC-2", "JC-1", "JC-0"], "newest first")
        var closed = window
        closed.open = false
        #expect(try q.casesCreated(closed, limit: 1000).map(\.id) == ["JC-4", "JC-2", "JC-0"])
        closed.open = true
        #expect(try q.casesCreated(closed, limit: 1000).map(\.id) == ["JC-5", "JC-3", "JC-1"])
        var any = window
        any.categories = nil
        #expect(try q.casesCreated(any, limit: 1000).count == 1000, "the limit")
        any.categories = []
        #expect(try q.casesCreated(any, limit: 1000).isEmpty, "an unknown service code matches nothing")
        // A window that ends before the newest page of rows: the walk passes them and finds the window's cases.
        var early = window
        early.to = Self.start.addingTimeInterval(3)
        early.categories = nil
        #expect(try q.casesCreated(early, limit: 1000).map(\.id) == ["JC-3", "JC-2", "JC-1", "JC-0"])
    }
}
