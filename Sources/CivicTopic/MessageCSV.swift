import Foundation

/// Why a labelled CSV file could not be loaded.
public enum MessageCSVError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notUTF8(path: String)
    case empty(path: String)
    case missingColumn(path: String, column: String, header: [String])
    case unterminatedQuote(path: String, line: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .notUTF8(let path): "\(path) is not valid UTF-8"
        case .empty(let path): "\(path) has no header row"
        case .missingColumn(let path, let column, let header):
            "\(path) has no column \"\(column)\" (header: \(header.joined(separator: ",")))"
        case .unterminatedQuote(let path, let line): "\(path): quoted field opened on line \(line) never closes"
        }
    }
}

/// Loads labelled messages from an RFC 4180 CSV file; columns are chosen by header name.
public enum MessageCSV {
    public static let subjectColumn = "subject"
    public static let detailColumn = "detail"
    public static let labelColumn = "category"

    /// Requires `subject` and `category` columns; `detail` is optional (empty when absent).
    public static func load(path: String) throws -> [LabeledMessage] {
        try parseMessages(try readText(path: path), path: path)
    }

    /// Same as `load` but from text already in memory; `path` only names the source in errors.
    public static func parseMessages(_ text: String, path: String = "<memory>") throws -> [LabeledMessage] {
        let table = try Table(text, path: path)
        let labelIndex = try table.column(labelColumn)
        return table.rows.map { row in
            LabeledMessage(
                subject: table.field(row, table.subjectIndex), detail: table.detailIndex.map { table.field(row, $0) } ?? "",
                label: table.field(row, labelIndex).trimmingCharacters(in: .whitespaces))
        }
    }

    /// Messages without topics (e.g. a node's history): requires `subject`; `detail` is optional;
    /// any other column, `category` included, is ignored.
    public static func loadUnlabelled(path: String) throws -> [UnlabelledMessage] {
        try parseUnlabelled(try readText(path: path), path: path)
    }

    public static func parseUnlabelled(_ text: String, path: String = "<memory>") throws -> [UnlabelledMessage] {
        let table = try Table(text, path: path)
        return table.rows.map { row in
            UnlabelledMessage(
                subject: table.field(row, table.subjectIndex), detail: table.detailIndex.map { table.field(row, $0) } ?? "")
        }
    }

    /// The file as UTF-8 text; errors name the path.
    public static func readText(path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MessageCSVError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw MessageCSVError.notUTF8(path: path) }
        return text
    }

    /// Parsed rows with the header resolved to column positions.
    private struct Table {
        let header: [String]
        let names: [String]
        let rows: [[String]]
        let path: String
        let subjectIndex: Int
        let detailIndex: Int?

        init(_ text: String, path: String) throws {
            let all = try MessageCSV.parseRows(text, path: path)
            guard let header = all.first, !(header.count == 1 && header[0].isEmpty) else {
                throw MessageCSVError.empty(path: path)
            }
            let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let subjectIndex = names.firstIndex(of: MessageCSV.subjectColumn) else {
                throw MessageCSVError.missingColumn(path: path, column: MessageCSV.subjectColumn, header: header)
            }
            self.header = header
            self.names = names
            self.path = path
            self.rows = all.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }
            self.subjectIndex = subjectIndex
            self.detailIndex = names.firstIndex(of: MessageCSV.detailColumn)
        }

        func column(_ name: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw MessageCSVError.missingColumn(path: path, column: name, header: header)
            }
            return index
        }

        func field(_ row: [String], _ index: Int) -> String { index < row.count ? row[index] : "" }
    }

    /// Splits RFC 4180 text into rows of fields: quoted fields, `""` escapes, CR/LF inside quotes.
    public static func parseRows(_ text: String, path: String = "<memory>") throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var quoteLine = 0
        var line = 1
        let bytes = Array(text.utf8)
        var index = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    inQuotes = true
                    quoteLine = line
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\r"):
                    break  // CRLF line ends: the LF closes the row
                case UInt8(ascii: "\n"):
                    endField()
                    rows.append(row)
                    row.removeAll()
                    line += 1
                default:
                    field.append(byte)
                }
            }
            index += 1
        }
        if inQuotes { throw MessageCSVError.unterminatedQuote(path: path, line: quoteLine) }
        if !field.isEmpty || !row.isEmpty {
            endField()
            rows.append(row)
        }
        if rows.first?.first?.hasPrefix("\u{FEFF}") == true {
            rows[0][0].removeFirst()  // tolerate a UTF-8 byte-order mark
        }
        return rows
    }
}
