import Foundation

/// Minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
/// Enough for the shared message files; not a general-purpose CSV library.
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

    enum ReadError: Error, CustomStringConvertible {
        case unreadable(path: String, underlying: String)
        case empty(path: String)
        var description: String {
            switch self {
            case .unreadable(let path, let underlying): return "cannot read CSV \(path): \(underlying)"
            case .empty(let path): return "CSV \(path) has no header row"
            }
        }
    }

    static func read(path: String) throws -> Table {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ReadError.unreadable(path: path, underlying: "\(error)")
        }
        var rows = parse(text)
        guard !rows.isEmpty else { throw ReadError.empty(path: path) }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        return Table(header: header, rows: rows)
    }

    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if inQuotes {
                if c == "\"" {
                    if pending == "\"" { field.unicodeScalars.append(c); pending = iterator.next() } else { inQuotes = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": inQuotes = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n":
                row.append(field); field = ""
                rows.append(row); row = []
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
