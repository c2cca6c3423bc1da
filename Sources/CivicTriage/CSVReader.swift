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

    /// Works on UTF-8 bytes: the delimiters are ASCII, so multi-byte characters never contain them.
    static func parse(_ text: String) -> [[String]] {
        let bytes = Array(text.utf8)
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var i = 0
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        func finishField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true) }
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if inQuotes {
                if c == quote {
                    if i < bytes.count, bytes[i] == quote { field.append(quote); i += 1 } else { inQuotes = false }
                } else {
                    field.append(c)
                }
                continue
            }
            switch c {
            case quote: inQuotes = true
            case comma: finishField()
            case cr: break
            case lf:
                finishField()
                rows.append(row)
                row = []
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { finishField(); rows.append(row) }
        return rows
    }
}
