import CivicCases
import CivicHTTP
import CivicStore
import Foundation

/// An error an HTTP client sees: status, a stable code, the field at fault and a readable message.
struct APIError: Error {
    var status: Int
    var code: String
    var field: String?
    var message: String

    init(_ status: Int, _ code: String, field: String? = nil, _ message: String) {
        self.status = status; self.code = code; self.field = field; self.message = message
    }

    init(_ rule: CaseRuleError) {
        let status: Int
        switch rule.code {
        case .notFound: status = 404
        case .notHolder, .badTransition, .wrongTier: status = 409
        case .missingField, .badTarget, .tooLong: status = 422
        }
        self.init(status, rule.code.rawValue, field: rule.field, rule.message)
    }

    /// The one place where internal errors become responses: rule errors keep their detail, anything else is a 500.
    static func from(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        if let e = error as? CaseRuleError { return APIError(e) }
        if let e = error as? AccessDenied { return APIError(403, "forbidden", field: "scope", e.rule) }
        if let e = error as? TokenError { return APIError(e.status, e.code, field: e.field, e.message) }
        if let storage = StorageFailure(error) {
            switch storage.kind {
            case .full: return APIError(507, "storage_full", field: "storage", "the node's disk is full: nothing was written; reads still work, and writing resumes by itself when there is space again")
            case .io: return APIError(503, "storage_error", field: "storage", "the node's storage failed to write (\(error)): nothing was written; retry later")
            }
        }
        return APIError(500, "internal", "internal error: \(error)")
    }

    var response: HTTPResponse {
        var body: [String: Any] = ["code": code, "message": message]
        if let field { body["field"] = field }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": body], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return .json(status, [UInt8](data))
    }
}
