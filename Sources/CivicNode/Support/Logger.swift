import CivicCases
import CivicWire
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small value-type logger: one `write(2)` per line to stderr, so lines from several threads never interleave.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var label: String { ["debug", "info", "warn", "error"][rawValue] }
    }

    /// `text` for a terminal (the default), `json` for a log shipper: one object per line with `ts` (RFC 3339,
    /// UTC), `level`, `node`, `msg` and the line's fields (`case`, `peer`, `error`…). `CIVICMESH_LOG_FORMAT`.
    public enum Format: String, Sendable { case text, json }

    public var label: String
    public var minimum: Level
    public var format: Format

    public init(label: String, minimum: Level = .info, format: Format? = nil) {
        self.label = label
        self.format = format ?? (ProcessInfo.processInfo.environment["CIVICMESH_LOG_FORMAT"] == "json" ? .json : .text)
        switch ProcessInfo.processInfo.environment["CIVICMESH_LOG"] {
        case "debug": self.minimum = .debug
        case "info": self.minimum = .info
        case "warning", "warn": self.minimum = .warning
        case "error": self.minimum = .error
        default: self.minimum = minimum
        }
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String, _ fields: [String: String] = [:]) {
        guard level >= minimum else { return }
        let line = self.line(level, message(), fields)
        line.utf8CString.withUnsafeBufferPointer { buf in
            _ = write(2, buf.baseAddress, buf.count - 1)
        }
    }

    /// One log line, newline included, in the logger's format.
    public func line(_ level: Level, _ message: String, _ fields: [String: String]) -> String {
        switch format {
        case .text:
            let extra = fields.sorted { $0.key < $1.key }.map { " \($0.key)=\(Self.clip($0.value, 256))" }.joined()
            return "\(WireClock.stamp()) \(level.label) [\(label)] \(Self.clip(message, Self.maxMessageBytes))\(extra)\n"
        case .json:
            // JSON escapes what a peer's text could use to forge a line; the size is cut as for text.
            var w = JSONWriter(capacity: 256)
            w.beginObject()
            w.key("ts"); w.string(WireClock.stamp())
            w.key("level"); w.string(level.label)
            w.key("node"); w.string(label)
            w.key("msg"); w.string(Self.cut(message, Self.maxMessageBytes))
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["ts", "level", "node", "msg"].contains(key) {
                w.key(key); w.string(Self.cut(value, 256))
            }
            w.endObject()
            return String(decoding: w.bytes, as: UTF8.self) + "\n"
        }
    }

    /// Cuts to `max` UTF-8 bytes on a character boundary, saying how much was cut.
    static func cut(_ text: String, _ max: Int) -> String {
        guard text.utf8.count > max else { return text }
        var out = "", bytes = 0
        for ch in text {
            let n = ch.utf8.count
            if bytes + n > max { break }
            out.append(ch)
            bytes += n
        }
        return out + "…(\(text.utf8.count - bytes) more bytes)"
    }

    /// A log line carries text from peers and clients: it is kept on one line and within this size.
    static let maxMessageBytes = 2048

    /// Escapes control characters (a newline in a peer's text must not forge a log line) and cuts to `max`
    /// UTF-8 bytes, saying how much was cut.
    public static func clip(_ text: String, _ max: Int) -> String {
        needsNoClipping(text, max) ? text : escapeAndCut(text, max)
    }

    /// `clip` the long way: scalar by scalar.
    static func escapeAndCut(_ text: String, _ max: Int) -> String {
        var out = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            let piece: String
            switch scalar {
            case "\n": piece = "\\n"
            case "\r": piece = "\\r"
            case "\t": piece = "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                piece = "\\u{\(String(scalar.value, radix: 16))}"
            default: piece = String(scalar)
            }
            if bytes + piece.utf8.count > max {
                return out + "…(\(text.utf8.count - bytes) more bytes)"
            }
            out += piece
            bytes += piece.utf8.count
        }
        return out
    }

    /// True when `clip` would give `text` back as it is: within `max` bytes and no byte of a character it
    /// escapes (C0 controls, DEL, the C1 controls U+0080–U+009F as C2 80…C2 9F, U+2028 and U+2029 as E2 80 A8/A9).
    /// Most lines are plain; this one pass spares them a String per scalar.
    static func needsNoClipping(_ text: String, _ max: Int) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count <= max else { return false }
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b < 0x20 || b == 0x7F { return false }
                if b == 0xC2, i + 1 < bytes.count, bytes[i + 1] < 0xA0 { return false }
                if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 { return false }
                i += 1
            }
            return true
        }
    }

    public func debug(_ m: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.debug, m(), fields) }
    public func info(_ m: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.info, m(), fields) }
    public func warning(_ m: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.warning, m(), fields) }
    public func error(_ m: @autoclosure () -> String, _ fields: [String: String] = [:]) { log(.error, m(), fields) }
}

enum WireClock {
    /// Now, as the wire writes times (`WireDate`, byte by byte): `String(format:)` took about a twentieth of the
    /// city's loop thread when every intake logs a line.
    static func stamp() -> String { WireDate.format(Date()) }
}

/// Lets one log line through per key and interval, counting the ones it held back, so a storm of the same
/// failure (a parent down for an hour, a flood of refused connections) costs a line every `interval`
/// seconds instead of one per event. One owner per instance (the loop thread).
final class LogThrottle {
    let interval: Double
    private var last: [String: Date] = [:]
    private var held: [String: Int] = [:]
    init(interval: Double = 30) { self.interval = interval }

    /// The line to log now (with how many were held back since the last one), or nil to stay quiet.
    func pass(_ key: String, _ message: String, now: Date = Date()) -> String? {
        if let previous = last[key], now.timeIntervalSince(previous) < interval {
            held[key, default: 0] += 1
            return nil
        }
        let quiet = held.removeValue(forKey: key) ?? 0
        let since = last[key].map { Int(now.timeIntervalSince($0)) } ?? 0
        last[key] = now
        return quiet > 0 ? "\(message) (and \(quiet) more in the last \(since)s)" : message
    }
}
