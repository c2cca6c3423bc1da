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

    public var label: String
    public var minimum: Level

    public init(label: String, minimum: Level = .info) {
        self.label = label
        switch ProcessInfo.processInfo.environment["CIVICMESH_LOG"] {
        case "debug": self.minimum = .debug
        case "info": self.minimum = .info
        case "warning", "warn": self.minimum = .warning
        case "error": self.minimum = .error
        default: self.minimum = minimum
        }
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard level >= minimum else { return }
        let line = "\(WireClock.stamp()) \(level.label) [\(label)] \(Self.clip(message(), Self.maxMessageBytes))\n"
        line.utf8CString.withUnsafeBufferPointer { buf in
            _ = write(2, buf.baseAddress, buf.count - 1)
        }
    }

    /// A log line carries text from peers and clients: it is kept on one line and within this size.
    static let maxMessageBytes = 2048

    /// Escapes control characters (a newline in a peer's text must not forge a log line) and cuts to `max`
    /// UTF-8 bytes, saying how much was cut.
    public static func clip(_ text: String, _ max: Int) -> String {
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

    public func debug(_ m: @autoclosure () -> String) { log(.debug, m()) }
    public func info(_ m: @autoclosure () -> String) { log(.info, m()) }
    public func warning(_ m: @autoclosure () -> String) { log(.warning, m()) }
    public func error(_ m: @autoclosure () -> String) { log(.error, m()) }
}

enum WireClock {
    static func stamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var secs = tv.tv_sec
        var parts = tm()
        gmtime_r(&secs, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(tv.tv_usec / 1000))
    }
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
