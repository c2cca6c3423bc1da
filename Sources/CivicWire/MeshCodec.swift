import CivicCases
import Foundation

/// Why a line could not be turned into a message. The `code` goes into the `error` reply verbatim.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedJSON(String)
    case missingType
    case unknownType(String)
    case invalidMessage(type: String, detail: String)

    public var code: String {
        switch self {
        case .malformedJSON: "malformed_json"
        case .missingType: "missing_type"
        case .unknownType: "unknown_type"
        case .invalidMessage: "invalid_message"
        }
    }

    public var description: String {
        switch self {
        case .malformedJSON(let d): "line is not a JSON object: \(d)"
        case .missingType: "message has no string field \"type\""
        case .unknownType(let t): "unknown message type \"\(t)\""
        case .invalidMessage(let t, let d): "invalid \(t) message: \(d)"
        }
    }
}

/// Encodes and decodes mesh lines. Holds its own JSON coders: make one per thread, never share.
public final class MeshCodec {
    private let encoder = WireJSON.encoder()
    private let decoder = WireJSON.decoder()

    public init() {}

    private struct Typed<Body: Encodable>: Encodable {
        let type: String
        let body: Body
        func encode(to encoder: any Encoder) throws {
            try body.encode(to: encoder)
            var c = encoder.container(keyedBy: TypeKey.self)
            try c.encode(type, forKey: .type)
        }
    }
    private enum TypeKey: String, CodingKey { case type }
    private struct Empty: Codable {}
    private struct TypeProbe: Decodable { let type: String? }

    /// One line, newline included. The durable messages (the hot path) are written by hand, in the same bytes.
    /// `storedEvent` gives the JSON an event was just stored as (`WireJSON.bytes`, the very bytes the line would
    /// hold), by event id, and `caseBody` the message's case as `WireJSON.bytes` wrote it: spliced in instead of
    /// written again.
    public func encode(_ message: MeshMessage, storedEvent: (String) -> [UInt8]? = { _ in nil }, caseBody: [UInt8]? = nil) -> [UInt8] {
        if let fast = Self.fastEncode(message, storedEvent: storedEvent, caseBody: caseBody) { return fast }
        let data: Data
        do {
            switch message {
            case .hello(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .challenge(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .auth(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .welcome(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .error(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .ping, .pong: data = try encoder.encode(Typed(type: message.type, body: Empty()))
            case .ack(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .dispatch(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .update(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            case .summary(let m): data = try encoder.encode(Typed(type: message.type, body: m))
            }
        } catch {
            // Our own value types always encode; reaching this is a programming error.
            preconditionFailure("cannot encode \(message.type): \(error)")
        }
        var bytes = [UInt8](data)
        bytes.append(0x0A)
        return bytes
    }

    public func decode(_ line: [UInt8]) throws(WireError) -> MeshMessage {
        if let fast = Self.fastDecodeWithRanges(line) { return fast.message }
        return try foundationDecode(line)
    }

    /// A line and, for `dispatch` and `update` read by the fast reader, the JSON of its case and events as they lie
    /// in the line (`ReceivedBodies`); nil bodies when Foundation read it.
    public func decodeKeepingBodies(_ line: [UInt8]) throws(WireError) -> (message: MeshMessage, bodies: ReceivedBodies?) {
        guard let fast = Self.fastDecodeWithRanges(line) else { return (try foundationDecode(line), nil) }
        guard let ranges = fast.ranges else { return (fast.message, nil) }
        return (fast.message, ReceivedBodies(caseJSON: Array(line[ranges.case]), eventsJSON: ranges.events.map { Array(line[$0]) }))
    }

    /// What the fast reader declines: Foundation's decoder, with its precise errors.
    private func foundationDecode(_ line: [UInt8]) throws(WireError) -> MeshMessage {
        let data = Data(line)
        let type: String
        do {
            guard let t = try decoder.decode(TypeProbe.self, from: data).type else { throw WireError.missingType }
            type = t
        } catch let e as WireError {
            throw e
        } catch {
            throw WireError.malformedJSON(Self.describe(error))
        }
        func body<T: Decodable>(_: T.Type) throws(WireError) -> T {
            do { return try decoder.decode(T.self, from: data) } catch {
                throw WireError.invalidMessage(type: type, detail: Self.describe(error))
            }
        }
        switch type {
        case "hello": return .hello(try body(Hello.self))
        case "challenge": return .challenge(try body(Challenge.self))
        case "auth": return .auth(try body(Auth.self))
        case "welcome": return .welcome(try body(Welcome.self))
        case "error": return .error(try body(ErrorMessage.self))
        case "ping": return .ping
        case "pong": return .pong
        case "ack": return .ack(try body(Ack.self))
        case "dispatch": return .dispatch(try body(Dispatch.self))
        case "update": return .update(try body(Update.self))
        case "summary": return .summary(try body(Summary.self))
        default: throw WireError.unknownType(type)
        }
    }

    /// `ack`, `dispatch` and `update` by hand; nil for every other message.
    static func fastEncode(_ message: MeshMessage, storedEvent: (String) -> [UInt8]? = { _ in nil }, caseBody: [UInt8]? = nil) -> [UInt8]? {
        switch message {
        case .ack(let m):
            var w = JSONWriter(capacity: 32)
            w.beginObject(); w.key("seq"); w.int(m.seq); w.key("type"); w.string("ack"); w.endObject()
            w.newline()
            return w.bytes
        case .dispatch(let m):
            return durableLine(.dispatch, seq: m.seq, caseBody: caseBody ?? WireJSON.bytes(m.case),
                               eventBodies: m.events.map { storedEvent($0.id) ?? WireJSON.bytes($0) })
        case .update(let m):
            return durableLine(.update, seq: m.seq, caseBody: caseBody ?? WireJSON.bytes(m.case),
                               eventBodies: [storedEvent(m.event.id) ?? WireJSON.bytes(m.event)])
        default:
            return nil
        }
    }

    /// The two durable messages that carry a case.
    public enum DurableKind: String, Sendable { case dispatch, update }

    /// A dispatch or an update from the JSON of its case and events, newline included: the only writer of their
    /// shape, so a line rebuilt from the stored parts (a node's outbox keeps references, not copies) is the very
    /// line first sent. An update carries exactly one event.
    public static func durableLine(_ kind: DurableKind, seq: Int, caseBody: [UInt8], eventBodies: [[UInt8]]) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + caseBody.count + eventBodies.reduce(0) { $0 + $1.count + 1 })
        w.beginObject()
        w.key("case"); w.raw(caseBody)
        switch kind {
        case .dispatch:
            w.key("events"); w.beginArray()
            for e in eventBodies { w.raw(e) }
            w.endArray()
        case .update:
            precondition(eventBodies.count == 1, "an update carries one event")
            w.key("event"); w.raw(eventBodies[0])
        }
        w.key("seq"); w.int(seq); w.key("type"); w.string(kind.rawValue)
        w.endObject()
        w.newline()
        return w.bytes
    }

    /// `ack`, `dispatch` and `update` read in one pass by hand. Nil — and the Foundation path decides, with its
    /// precise errors — for any other type, and for anything the strict reader declines.
    static func fastDecode(_ line: [UInt8]) -> MeshMessage? { fastDecodeWithRanges(line)?.message }

    /// Where a dispatch's or an update's case and events lie in its line.
    typealias BodyRanges = (case: Range<Int>, events: [Range<Int>])

    /// The message, and for a dispatch or an update where its case and events lie in the line.
    static func fastDecodeWithRanges(_ line: [UInt8]) -> (message: MeshMessage, ranges: BodyRanges?)? {
        line.withUnsafeBufferPointer { buffer -> (message: MeshMessage, ranges: BodyRanges?)? in
            var end = buffer.count
            while end > 0, buffer[end - 1] == 0x0A || buffer[end - 1] == 0x0D { end -= 1 }
            let body = UnsafeBufferPointer(rebasing: buffer[0..<end])
            var type: String?, seq: Int?, c: Case?, event: CaseEvent?, events: [CaseEvent]?
            var caseRange = 0..<0, eventRanges: [Range<Int>] = []
            do {
                try JSONReader.read(body) { (r: inout JSONReader) throws(JSONReadError) in
                    try r.fields { (r: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                        switch key {
                        case "type": type = try r.string()
                        case "seq": seq = try r.int()
                        case "case":
                            let start = r.valueStart()
                            c = try r.readCase()
                            caseRange = start..<r.position
                        case "event":
                            let start = r.valueStart()
                            event = try r.readEvent()
                            eventRanges = [start..<r.position]
                        case "events":
                            var list: [CaseEvent] = []
                            try r.array { (r: inout JSONReader) throws(JSONReadError) in
                                let start = r.valueStart()
                                list.append(try r.readEvent())
                                eventRanges.append(start..<r.position)
                            }
                            events = list
                        default: try r.skip()
                        }
                    }
                }
            } catch { return nil }
            switch type {
            case "ack": return seq.map { (.ack(Ack(seq: $0)), nil) }
            case "dispatch":
                guard let seq, let c, let events, events.count == eventRanges.count else { return nil }
                return (.dispatch(Dispatch(seq: seq, case: c, events: events)), (caseRange, eventRanges))
            case "update":
                guard let seq, let c, let event, eventRanges.count == 1 else { return nil }
                return (.update(Update(seq: seq, case: c, event: event)), (caseRange, eventRanges))
            default: return nil
            }
        }
    }

    /// Readable text for a DecodingError: the field path and what was wrong.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let ctx)?:
            let p = path(ctx.codingPath + [key])
            return "missing field \"\(p)\""
        case .typeMismatch(let type, let ctx)?:
            return "field \"\(path(ctx.codingPath))\" has the wrong type (expected \(type))"
        case .valueNotFound(let type, let ctx)?:
            return "field \"\(path(ctx.codingPath))\" is null (expected \(type))"
        case .dataCorrupted(let ctx)?:
            let p = path(ctx.codingPath)
            return p.isEmpty ? "not valid JSON" : "field \"\(p)\": \(ctx.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// Handshake proofs: HMAC-SHA256 over both nonces and both ids, with a role label so a parent's proof
/// can never be replayed as a child's.
public enum HandshakeProof {
    public static func make(role: String, secret: String, child: String, parent: String, childNonce: String, parentNonce: String) -> String {
        let message = "civicmesh/\(meshProtocolVersion) \(role)|\(child)|\(parent)|\(childNonce)|\(parentNonce)"
        return Hex.encode(HMACSHA256.authenticate(key: Array(secret.utf8), message: Array(message.utf8)))
    }

    public static func verify(_ proof: String, role: String, secret: String, child: String, parent: String, childNonce: String, parentNonce: String) -> Bool {
        let expected = make(role: role, secret: secret, child: child, parent: parent, childNonce: childNonce, parentNonce: parentNonce)
        return constantTimeEquals(Array(expected.utf8), Array(proof.lowercased().utf8))
    }

    public static func freshNonce() -> String { Hex.encode(SecureRandom.bytes(16)) }
}

/// The JSON of a durable line's case and events exactly as they lie in the line, kept by the fast reader (which
/// refuses keys out of order or repeated, so these bytes mean to any JSON reader what they meant to it): a node
/// stores and forwards them as they came instead of writing the same values again.
public struct ReceivedBodies: Sendable, Equatable {
    public let caseJSON: [UInt8]
    /// In the message's order: a dispatch's events, an update's one event.
    public let eventsJSON: [[UInt8]]
}
