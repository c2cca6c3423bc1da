import Foundation

/// Upper bounds on every free-text field a case or an action carries, in UTF-8 bytes. Checked at intake and
/// on every action, so that no accepted case can grow a mesh line past `max_line_bytes` (1 MiB by default):
/// the largest line, a dispatch with the case and its whole history, stays well inside it (CaseLimitsTests).
/// The engine still refuses, before commit, any change whose line would not fit (e.g. a history grown past
/// `maxEvents`), so a message that can never be sent is an error to the caller, never a stuck link.
public enum CaseLimits {
    public static let subject = 1_500          // ≈ 500 Chinese characters
    public static let detail = 60_000          // ≈ 20,000 Chinese characters
    public static let address = 1_000
    public static let citizenName = 200
    public static let phone = 32
    public static let division = 32
    public static let category = 200
    public static let actor = 200
    /// note, reply, reason, and the text of a repeat report.
    public static let note = 6_000
    /// Unit ids named in a request (target).
    public static let unitId = 64
    /// Events one case may collect; further actions are refused (the case is beyond what one unit handles).
    public static let maxEvents = 100

    /// Checks one field; `nil` values pass.
    public static func check(_ value: String?, _ field: String, max: Int) throws(CaseRuleError) {
        guard let value, value.utf8.count > max else { return }
        throw CaseRuleError(.tooLong, field: field, "\(field) is \(value.utf8.count) bytes; at most \(max) bytes (UTF-8) are accepted")
    }
}
