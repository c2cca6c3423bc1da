import Foundation

/// One Open311 answer in both of the spec's formats: a list of records (services, requests, errors) or one
/// object (discovery), each field a string, a number, a bool or null, rendered as JSON or as XML with the
/// spec's element names (`<services><service>…`).
struct Open311Document {
    enum Value {
        case text(String?)
        case number(Int)
        case bool(Bool)
        case list(String, [[(String, Value)]])  // XML item element name, records
    }

    /// The XML root (`services`, `service_requests`, `errors`, `discovery`) and item (`service`, `request`, `error`).
    var root: String
    var item: String?
    var records: [[(String, Value)]]

    func json() -> [UInt8] {
        func value(_ v: Value) -> Any {
            switch v {
            case .text(let s): return s ?? NSNull()
            case .number(let n): return n
            case .bool(let b): return b
            case .list(_, let items): return items.map(object)
            }
        }
        func object(_ fields: [(String, Value)]) -> [String: Any] { Dictionary(fields.map { ($0.0, value($0.1)) }, uniquingKeysWith: { a, _ in a }) }
        let top: Any = item == nil ? object(records.first ?? []) : records.map(object)
        return [UInt8]((try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8))
    }

    func xml() -> [UInt8] {
        func render(_ fields: [(String, Value)], into out: inout String) {
            for (name, v) in fields {
                switch v {
                case .text(let s): out += s.map { "<\(name)>\(Self.escape($0))</\(name)>" } ?? "<\(name)/>"
                case .number(let n): out += "<\(name)>\(n)</\(name)>"
                case .bool(let b): out += "<\(name)>\(b)</\(name)>"
                case .list(let element, let items):
                    out += "<\(name)>"
                    for i in items { out += "<\(element)>"; render(i, into: &out); out += "</\(element)>" }
                    out += "</\(name)>"
                }
            }
        }
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><\(root)>"
        if let item {
            for r in records { out += "<\(item)>"; render(r, into: &out); out += "</\(item)>" }
        } else {
            render(records.first ?? [], into: &out)
        }
        out += "</\(root)>"
        return Array(out.utf8)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Characters XML 1.0 cannot hold at all are left out.
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
