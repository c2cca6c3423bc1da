extension StringProtocol {
    /// The text without Unicode white space (spaces, tabs, newlines, U+3000…) at either end — what
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives, without bridging to NSString on every intake.
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        // Nothing to trim (nearly always): the text as it is, not rebuilt scalar by scalar.
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return String(self) }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}

extension String {
    /// The non-empty parts between commas, split on the byte: what `split(separator: ",")` gives for the ASCII
    /// lists a case keeps in its attributes (times, timer marks), without walking grapheme clusters (splitting a
    /// two-time escalation list by Character cost more than the rest of reading the timer).
    public var commaParts: [Substring] {
        utf8.split(separator: UInt8(ascii: ",")).map { Substring($0) }
    }
}

extension Double {
    /// The value with `digits` decimals, as `String(format: "%.Nf")` prints it for the probabilities and
    /// percentages triage writes on every intake — without Foundation's format parser. Rounds half to even on
    /// the decimal shown, like printf; values at or beyond 1e15 fall back to the formatter.
    public func fixed(_ digits: Int) -> String {
        guard isFinite, Swift.abs(self) < 1e15, digits >= 0, digits <= 6 else { return String(format: "%.\(digits)f", self) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let product = Swift.abs(self) * scale
        // printf rounds the exact binary value; where the product sits next to a half, the multiplication's own
        // rounding could tip it either way, so those few go to the formatter.
        if Swift.abs(product - product.rounded(.down) - 0.5) < 1e-9 { return String(format: "%.\(digits)f", self) }
        let scaled = product.rounded(.toNearestOrEven)
        let whole = Int64(scaled)
        let negative = sign == .minus  // printf keeps the sign of -0.0 and of what rounds to zero
        var text = String(whole)
        if digits > 0 {
            if text.count <= digits { text = String(repeating: "0", count: digits - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
        }
        return negative ? "-" + text : text
    }
}
