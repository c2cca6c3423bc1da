/// One row of an official content taxonomy (e.g. the 12345 hotline's three-level catalogue):
/// a topic (`level1`, the names the classifier predicts) and the short sub-topic phrases under it.
public struct TaxonomyEntry: Sendable, Hashable {
    public var level1: String
    public var level2: String
    public var level3: String

    public init(level1: String, level2: String = "", level3: String = "") {
        self.level1 = level1
        self.level2 = level2
        self.level3 = level3
    }
}

/// Loads a taxonomy CSV with columns `level1, level2, level3` (by header name; level3 optional).
public enum TaxonomyCSV {
    public static func load(path: String) throws -> [TaxonomyEntry] {
        try parse(try MessageCSV.readText(path: path), path: path)
    }

    public static func parse(_ text: String, path: String = "<memory>") throws -> [TaxonomyEntry] {
        let rows = try MessageCSV.parseRows(text, path: path)
        guard let header = rows.first, !(header.count == 1 && header[0].isEmpty) else {
            throw MessageCSVError.empty(path: path)
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ name: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw MessageCSVError.missingColumn(path: path, column: name, header: header)
            }
            return index
        }
        let first = try column("level1"), second = try column("level2")
        let third = names.firstIndex(of: "level3")
        func field(_ row: [String], _ index: Int?) -> String {
            guard let index, index < row.count else { return "" }
            return row[index].trimmingCharacters(in: .whitespaces)
        }
        return rows.dropFirst().compactMap { row in
            let level1 = field(row, first)
            guard !level1.isEmpty else { return nil }
            return TaxonomyEntry(level1: level1, level2: field(row, second), level3: field(row, third))
        }
    }
}
