extension StringProtocol {
    /// The text without Unicode white space (spaces, tabs, newlines, U+3000…) at either end — what
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` gives, without bridging to NSString on every intake.
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
