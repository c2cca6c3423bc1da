import CivicStore
import Testing

@Suite("SQLValue and Row")
struct SQLValueTests {
    @Test func literalsAndAccessors() {
        let text: SQLValue = "路灯"
        let integer: SQLValue = 42
        let real: SQLValue = 2.5
        let null: SQLValue = nil
        #expect(text.string == "路灯" && text.int == nil)
        #expect(integer.int == 42 && integer.int64 == 42 && integer.double == 42.0 && integer.string == nil)
        #expect(real.double == 2.5 && real.int == nil)
        #expect(null.isNull && null.string == nil && null.bytes == nil)
        #expect(SQLValue(String?.none) == .null && SQLValue(Int?.none) == .null && SQLValue(Double?.none) == .null)
        #expect(SQLValue("a" as String?) == .text("a"))
        #expect(SQLValue(7 as Int?) == .integer(7))
        #expect(SQLValue(true) == .integer(1) && SQLValue(false) == .integer(0))
        #expect(SQLValue.blob([1, 2]).bytes == [1, 2])
    }

    @Test func descriptionHidesValues() {
        #expect(!SQLValue.text("secret phone 13800138000").description.contains("138"))
        #expect(SQLValue.blob([1, 2, 3]).description == "BLOB(3 bytes)")
    }

    @Test func valuesRoundTripWithTheirStorageClass() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/values.sqlite")
            // No declared type: no affinity, so each value keeps its storage class.
            try db.execute("CREATE TABLE v(id INTEGER PRIMARY KEY, x)")
            let values: [SQLValue] = [
                .text("市民热线 12345：路灯不亮 🚦"), .text(""), .blob([0, 1, 0xFF, 0]), .blob([]), .null,
                .integer(Int64.max), .integer(Int64.min), .real(3.25), .real(-1e300),
            ]
            for value in values {
                try db.execute("INSERT INTO v(x) VALUES (?)", [value])
            }
            let rows = try db.query("SELECT x, typeof(x) AS kind FROM v ORDER BY id")
            #expect(rows.map { $0["x"] } == values)
            #expect(rows.map { $0.string("kind") } == [
                "text", "text", "blob", "blob", "null", "integer", "integer", "real", "real",
            ])
            // Lookups by value work through the bound form too.
            #expect(try db.scalarInt("SELECT id FROM v WHERE x = ?", [.text("市民热线 12345：路灯不亮 🚦")]) == 1)
            #expect(try db.scalarInt("SELECT length(x) FROM v WHERE id = 3") == 4)
        }
    }

    @Test func rowLookup() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir + "/row.sqlite")
            let row = try #require(try db.queryOne("SELECT 1 AS Number, 'two' AS word, 2.5 AS ratio"))
            #expect(row.columns == ["Number", "word", "ratio"])
            #expect(row.int("Number") == 1 && row.int("number") == 1)
            #expect(row.string("word") == "two" && row[1] == .text("two"))
            #expect(row.double("ratio") == 2.5)
            #expect(row["missing"] == .null && !row.hasColumn("missing"))
            #expect(try db.queryOne("SELECT 1 WHERE 0") == nil)
            #expect(try db.scalarInt("SELECT NULL") == nil)
        }
    }
}
