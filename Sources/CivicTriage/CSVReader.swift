import CivicTopic
import Foundation

/// A CSV file as a header and rows, for the triage tools and tests.
enum CSVReader {
    struct Table {
        var header: [String]
        var rows: [[String]]

        /// The rows as dictionaries keyed by header name (missing trailing fields read as "").
        var records: [[String: String]] {
            rows.map { row in
                var record: [String: String] = [:]
                for (i, name) in header.enumerated() { record[name] = i < row.count ? row[i] : "" }
                return record
            }
        }
    }

    struct EmptyFile: Error, CustomStringConvertible {
        var path: String
        var description: String { "CSV \(path) has no header row" }
    }

    /// Reading and parsing are CivicTopic's `MessageCSV` (BOM, quoted line breaks, unclosed-quote errors).
    static func read(path: String) throws -> Table {
        var rows = try MessageCSV.parseRows(try MessageCSV.readText(path: path), path: path)
        guard !rows.isEmpty else { throw EmptyFile(path: path) }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        return Table(header: header, rows: rows)
    }
}
