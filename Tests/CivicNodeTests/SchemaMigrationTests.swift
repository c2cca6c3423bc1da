import CivicCases
import CivicStore
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// A node's database from before a migration keeps every row, in its order, through it.
@Suite struct SchemaMigrationTests {
    /// A node database migrated up to (not including) the migration `named`, given rows by `fill`, closed, then
    /// opened again and migrated all the way: what an upgraded node finds.
    func upgraded(from named: String, fill: (Database) throws -> Void) throws -> (TempDirectory, Database) {
        let dir = TempDirectory("migrate")
        let path = dir.file("node.sqlite")
        do {
            let old = try Database(path: path, synchronousFull: false)
            defer { old.close() }
            let before = Array(Schema.migrations.prefix { $0.name != named })
            precondition(before.count < Schema.migrations.count, "no migration named \(named)")
            try old.migrate(before)
            try fill(old)
        }
        let db = try Database(path: path, synchronousFull: false)
        try db.migrate(Schema.migrations)
        return (dir, db)
    }

    @Test func rebuildingEventsAndCasesWithRowidOrdKeepsEveryRowAndItsOrder() throws {
        let (dir, db) = try upgraded(from: "rowid ord, unused indexes dropped") { db in
            for i in 1...3 {
                try db.execute("INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, 'dispatched', 's1', 't', 't', '{}')", [.text("C-\(i)")])
                try db.execute("INSERT INTO events(id, case_id, body, action, at, node) VALUES(?, ?, '{}', 'created', 't', 'city')", [.text("city-\(i)"), .text("C-\(i)")])
            }
            try db.execute("DELETE FROM events WHERE id = 'city-2'")  // a gap in ord survives as it is
        }
        _ = dir
        defer { db.close() }
        #expect(try db.query("SELECT ord, id FROM events ORDER BY ord").map { "\($0.int("ord")!):\($0.string("id")!)" } == ["1:city-1", "3:city-3"])
        #expect(try db.query("SELECT ord, id FROM cases ORDER BY ord").map { "\($0.int("ord")!):\($0.string("id")!)" } == ["1:C-1", "2:C-2", "3:C-3"])
        try db.execute("INSERT INTO events(id, case_id, body) VALUES('city-4', 'C-1', '{}')")
        #expect(try db.queryOne("SELECT ord FROM events WHERE id = 'city-4'")?.int("ord") == 4, "ord goes on growing")
        let indexes = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").compactMap { $0.string("name") })
        #expect(indexes.isSuperset(of: ["events_by_case", "cases_by_state", "cases_by_holder"]) && indexes.isDisjoint(with: ["events_by_action", "events_by_node", "cases_by_created"]), "\(indexes)")
        #expect(throws: (any Error).self) { try db.execute("INSERT INTO events(id, case_id, body) VALUES('city-1', 'C-1', '{}')") }
    }

    @Test func aLineFromBeforeOutboxReferencesIsKeptAndARowWithNeitherLineNorReferenceIsRefused() throws {
        let line = Array("{\"seq\":7}\n".utf8)
        let (dir, db) = try upgraded(from: "outbox rows by reference") { db in
            try db.execute("INSERT INTO outbox(peer, seq, line) VALUES('d1', 7, ?)", [.blob(line)])
        }
        _ = dir
        defer { db.close() }
        #expect(try db.queryOne("SELECT line FROM outbox WHERE peer = 'd1' AND seq = 7")?["line"].bytes == line)
        #expect(throws: (any Error).self) { try db.execute("INSERT INTO outbox(peer, seq, case_id) VALUES('d1', 8, 'JC-1')") }
    }
}
