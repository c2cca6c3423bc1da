import CivicCases
import CivicStore
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// A node's database from before a migration keeps every row, in its order, through it.
@Suite struct SchemaMigrationTests {
    @Test func rebuildingEventsAndCasesWithRowidOrdKeepsEveryRowAndItsOrder() throws {
        let dir = TempDirectory("migrate")
        let path = dir.file("node.sqlite")
        do {
            let db = try Database(path: path, synchronousFull: false)
            try db.migrate(Array(Schema.migrations.prefix { $0.name != "rowid ord, unused indexes dropped" }))
            for i in 1...3 {
                try db.execute("INSERT INTO cases(id, state, holder, created_at, updated_at, body) VALUES(?, 'dispatched', 's1', 't', 't', '{}')", [.text("C-\(i)")])
                try db.execute("INSERT INTO events(id, case_id, body, action, at, node) VALUES(?, ?, '{}', 'created', 't', 'city')", [.text("city-\(i)"), .text("C-\(i)")])
            }
            try db.execute("DELETE FROM events WHERE id = 'city-2'")  // a gap in ord survives as it is
            db.close()
        }
        let db = try Database(path: path, synchronousFull: false)
        defer { db.close() }
        try db.migrate(Schema.migrations)
        #expect(try db.query("SELECT ord, id FROM events ORDER BY ord").map { "\($0.int("ord")!):\($0.string("id")!)" } == ["1:city-1", "3:city-3"])
        #expect(try db.query("SELECT ord, id FROM cases ORDER BY ord").map { "\($0.int("ord")!):\($0.string("id")!)" } == ["1:C-1", "2:C-2", "3:C-3"])
        try db.execute("INSERT INTO events(id, case_id, body) VALUES('city-4', 'C-1', '{}')")
        #expect(try db.queryOne("SELECT ord FROM events WHERE id = 'city-4'")?.int("ord") == 4, "ord goes on growing")
        let indexes = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").compactMap { $0.string("name") })
        #expect(indexes.isSuperset(of: ["events_by_case", "cases_by_state", "cases_by_holder"]) && indexes.isDisjoint(with: ["events_by_action", "events_by_node", "cases_by_created"]), "\(indexes)")
        #expect(throws: (any Error).self) { try db.execute("INSERT INTO events(id, case_id, body) VALUES('city-1', 'C-1', '{}')") }
    }
}
