import CivicSupport
import Foundation

/// The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per family, then its
/// samples, label values escaped (backslash, double quote, newline). Written by hand: no client library.
struct PrometheusText {
    enum Kind: String { case counter, gauge, histogram }
    private(set) var text = ""
    private var families: Set<String> = []

    /// Starts a family; a family named twice is a bug in the caller (promtool would refuse the page).
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        precondition(families.insert(name).inserted, "metric family \(name) written twice")
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty { text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}" }
        text += " " + Self.number(value) + "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) { sample(name, labels, Double(value)) }

    /// One histogram's buckets (cumulative, `le`), `+Inf`, `_sum` and `_count`, under `name` (its family started).
    mutating func histogram(_ name: String, _ labels: [(String, String)] = [], _ h: Histogram) {
        for (bound, count) in zip(h.bounds, h.cumulative) { sample(name + "_bucket", labels + [("le", Self.number(bound))], count) }
        sample(name + "_bucket", labels + [("le", "+Inf")], h.count)
        sample(name + "_sum", labels, h.sum)
        sample(name + "_count", labels, h.count)
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
