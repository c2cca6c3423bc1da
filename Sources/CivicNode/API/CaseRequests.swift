import CivicCases
import CivicWire
import Foundation

/// JSON bodies the HTTP API accepts, decoded strictly enough that a wrong type names its field.
enum CaseRequests {
    struct NewCase: Decodable {
        init() {}
        var channel: String?
        var subject: String?
        var detail: String?
        var citizen_name: String?
        var citizen_phone: String?
        var address: String?
        var division: String?
        var category: String?
    }

    /// An `actor` field, sent by clients of the first release, is not read: the token's name is the actor.
    struct Action: Decodable {
        var note: String?
        var reply: String?
        var reason: String?
        var target: String?
        var category: String?
        /// For assign: one of the target's departments.
        var department: String?
        var ruling: Bool?
        /// RFC 3339: the due time an extension asks for or grants.
        var until: String?
        /// RFC 3339: when a supervision order must be answered.
        var answer_by: String?
        /// A verdict: satisfied, basically_satisfied or unsatisfied; whether the problem was solved; the citizen's words;
        /// for an unsatisfied one, reopen or check instead of the policy's choice.
        var satisfaction: String?
        var solved: Bool?
        var comment: String?
        var then: String?
        /// A third-party check's finding, and whether it upholds the handling.
        var finding: String?
        var upheld: Bool?
        /// Co-handling and summonses: the units named ("node" or "node/department"), and the part a step is about.
        var units: [String]?
        var part: String?
    }

    static func satisfaction(_ raw: String?) throws(APIError) -> Satisfaction {
        guard let raw else { throw APIError(422, "missing_field", field: "satisfaction", "a verdict needs satisfaction: \(Satisfaction.allCases.map(\.rawValue).joined(separator: ", "))") }
        guard let s = Satisfaction(rawValue: raw) else {
            throw APIError(422, "bad_field", field: "satisfaction", "satisfaction must be one of \(Satisfaction.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(Logger.clip(raw, 40))\"")
        }
        return s
    }

    static func time(_ raw: String?, _ field: String) throws(APIError) -> Date? {
        guard let raw else { return nil }
        guard let t = WireDate.parse(raw) else { throw APIError(422, "bad_field", field: field, "\(field) must be a time like 2026-12-04T17:30:00+08:00") }
        return t
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws(APIError) -> T {
        guard !body.isEmpty else { throw APIError(400, "bad_json", field: "body", "request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let DecodingError.typeMismatch(expected, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            guard !field.isEmpty else { throw APIError(400, "bad_json", field: "body", "request body must be a JSON object, not \(jsonKind(of: body))") }
            throw APIError(400, "bad_field", field: field, "field \"\(field)\" must be \(apiWords(for: expected))")
        } catch {
            throw APIError(400, "bad_json", field: "body", "request body is not valid JSON")
        }
    }

    /// A Swift type as the API's documentation names it (never a Swift type name in an answer).
    static func apiWords(for type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default: return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    static func jsonKind(of body: [UInt8]) -> String {
        switch body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "true or false"
        case UInt8(ascii: "n"): return "null"
        default: return "a number"
        }
    }

    /// `actor` is who the history will say created the case: the caller's token name.
    static func draft(from body: [UInt8], defaultChannel: Channel, actor: String = "intake") throws(APIError) -> CaseDraft {
        let r: NewCase
        if let fast = NewCase.fastRead(body) { r = fast } else { r = try decode(NewCase.self, body) }
        let channel: Channel
        if let raw = r.channel {
            guard let c = Channel(rawValue: raw) else {
                throw APIError(422, "bad_field", field: "channel", "channel must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(raw)\"")
            }
            channel = c
        } else {
            channel = defaultChannel
        }
        guard let subject = r.subject, !subject.trimmingWhitespace.isEmpty else {
            throw APIError(422, "missing_field", field: "subject", "subject is required")
        }
        if let phone = r.citizen_phone, !phone.isEmpty, !phone.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == " " }) {
            throw APIError(422, "bad_field", field: "citizen_phone", "citizen_phone may contain only digits, spaces, + and -")
        }
        return CaseDraft(channel: channel, citizen: Citizen(name: r.citizen_name, phone: r.citizen_phone), subject: subject,
                         detail: r.detail ?? "", location: Location(address: r.address, division: r.division),
                         category: r.category, actor: actor)
    }

    static func command(_ verb: String, body: [UInt8]) throws(APIError) -> CaseCommand {
        let r = body.isEmpty ? Action() : try decode(Action.self, body)
        switch verb {
        case "accept": return .accept
        case "progress":
            guard let note = r.note else { throw APIError(422, "missing_field", field: "note", "progress needs a note") }
            return .progress(note: note)
        case "resolve":
            guard let reply = r.reply else { throw APIError(422, "missing_field", field: "reply", "resolve needs the reply to the citizen") }
            return .resolve(reply: reply)
        case "return":
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "return needs a reason") }
            return .returnUp(reason: reason)
        case "assign":
            guard let target = r.target else { throw APIError(422, "missing_field", field: "target", "assign needs a target unit id") }
            return .assign(target: target, category: r.category, reason: r.reason, ruling: r.ruling ?? false, department: r.department)
        case "allow_return":
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "allow_return needs a reason") }
            return .allowReturn(reason: reason)
        case "extend":
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "extend needs a reason") }
            return .requestExtension(reason: reason, until: try time(r.until, "until"))
        case "approve_extension":
            guard let until = try time(r.until, "until") else { throw APIError(422, "missing_field", field: "until", "approve_extension needs the new due time (until)") }
            return .approveExtension(until: until, reason: r.reason)
        case "refuse_extension":
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "refuse_extension needs a reason") }
            return .refuseExtension(reason: reason)
        case "supervise":
            guard let note = r.note else { throw APIError(422, "missing_field", field: "note", "supervise needs a note") }
            return .supervise(note: note, answerBy: try time(r.answer_by, "answer_by"))
        case "answer":
            guard let note = r.note else { throw APIError(422, "missing_field", field: "note", "answer needs a note") }
            return .answerSupervision(note: note)
        case "verdict":
            var then: UnsatisfiedRoute?
            if let raw = r.then {
                guard let route = UnsatisfiedRoute(rawValue: raw) else { throw APIError(422, "bad_field", field: "then", "then must be reopen or check") }
                then = route
            }
            return .evaluate(Verdict(satisfaction: try satisfaction(r.satisfaction), solved: r.solved, comment: r.comment, source: .revisit), then: then)
        case "unreachable":
            return .revisitFailed(note: r.note ?? "")
        case "check":
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "check needs a reason") }
            return .sendToCheck(reason: reason)
        case "co_handle", "summon":
            guard let units = r.units, !units.isEmpty else { throw APIError(422, "missing_field", field: "units", "\(verb) needs units: [\"s990101002\", \"d990101/区水务局\"]") }
            guard let note = r.note else { throw APIError(422, "missing_field", field: "note", "\(verb) needs a note") }
            return verb == "summon" ? .summon(units: units, note: note) : .coHandle(units: units, note: note)
        case "part_accept", "part_answer", "part_release":
            guard let part = r.part else { throw APIError(422, "missing_field", field: "part", "\(verb) needs the part's id (from the case's attributes.parts)") }
            if verb == "part_accept" { return .partAccept(part: part) }
            if verb == "part_answer" {
                guard let note = r.note else { throw APIError(422, "missing_field", field: "note", "part_answer needs a note (the answer, or the report)") }
                return .partAnswer(part: part, note: note)
            }
            guard let reason = r.reason else { throw APIError(422, "missing_field", field: "reason", "part_release needs a reason") }
            return .partRelease(part: part, reason: reason)
        case "check_finding":
            guard let upheld = r.upheld else { throw APIError(422, "missing_field", field: "upheld", "check_finding needs upheld: true (the handling stands) or false (reopen)") }
            guard let finding = r.finding else { throw APIError(422, "missing_field", field: "finding", "check_finding needs the finding") }
            return .recordCheck(upheld: upheld, finding: finding)
        default:
            throw APIError(404, "not_found", field: "action", "no action \"\(verb)\"; use \(CaseRoutes.actions.map(\.verb).joined(separator: ", "))")
        }
    }
}

extension CaseDraft {
    /// A draft from a `POST /api/cases` body, checked as the endpoint checks it (for tools and benchmarks).
    public init(apiBody: [UInt8], defaultChannel: Channel = .web) throws {
        self = try CaseRequests.draft(from: apiBody, defaultChannel: defaultChannel)
    }
}

extension CaseRequests.NewCase {
    /// The fields of an intake body by the fast reader, or nil to let Foundation's decoder read it and word its error.
    /// A body whose members are strings or null is read here (Foundation's decoder was most of the city's intake
    /// parsing); anything else — a wrong type, a number, a key given twice, bad JSON — is declined, so `decode`
    /// names the field that is wrong, exactly as before.
    static func fastRead(_ body: [UInt8]) -> Self? {
        body.withUnsafeBufferPointer { bytes -> Self? in
            var r = Self()
            var seen: UInt16 = 0
            func take(_ bit: UInt16, _ value: String?, into field: inout String?) -> Bool {
                guard seen & bit == 0 else { return false }
                seen |= bit
                field = value
                return true
            }
            do {
                try JSONReader.read(bytes) { (reader: inout JSONReader) throws(JSONReadError) in
                    try reader.object { (reader: inout JSONReader, key: String) throws(JSONReadError) in
                        // A string or null; anything else declines the fast read.
                        guard let next = reader.peekByte(), next == UInt8(ascii: "\"") || next == UInt8(ascii: "n") else { throw reader.fail("not a string") }
                        let value = try reader.optionalString()
                        let ok: Bool
                        switch key {
                        case "channel": ok = take(1, value, into: &r.channel)
                        case "subject": ok = take(2, value, into: &r.subject)
                        case "detail": ok = take(4, value, into: &r.detail)
                        case "citizen_name": ok = take(8, value, into: &r.citizen_name)
                        case "citizen_phone": ok = take(16, value, into: &r.citizen_phone)
                        case "address": ok = take(32, value, into: &r.address)
                        case "division": ok = take(64, value, into: &r.division)
                        case "category": ok = take(128, value, into: &r.category)
                        default: ok = true
                        }
                        if !ok { throw reader.fail("key \(key) given twice") }
                    }
                }
            } catch {
                return nil
            }
            return r
        }
    }
}
