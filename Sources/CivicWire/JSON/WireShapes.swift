import CivicCases
import Foundation

// The hot shapes written and read by hand (JSONWriter, JSONReader): cases, events and the durable mesh lines.
// Keys are written in sorted order, as `WireJSON.encoder()` sorts them; the Codable conformances in CivicCases
// stay the reference, and `FastJSONTests` holds the two to the same bytes and the same values.

extension JSONWriter {
    public mutating func write(_ c: Case) {
        beginObject()
        key("attributes"); textMap(c.attributes)
        if let category = c.category { key("category"); string(category) }
        key("channel"); string(c.channel.rawValue)
        key("citizen"); beginObject()
        if let name = c.citizen.name { key("name"); string(name) }
        if let phone = c.citizen.phone { key("phone"); string(phone) }
        endObject()
        key("created_at"); date(c.createdAt)
        key("detail"); string(c.detail)
        key("holder"); string(c.holder)
        key("id"); string(c.id)
        key("intake"); string(c.intake)
        key("location"); beginObject()
        if let address = c.location.address { key("address"); string(address) }
        if let division = c.location.division { key("division"); string(division) }
        endObject()
        if let requestType = c.requestType { key("request_type"); string(requestType) }
        key("state"); string(c.state.rawValue)
        key("subject"); string(c.subject)
        key("updated_at"); date(c.updatedAt)
        endObject()
    }

    public mutating func write(_ e: CaseEvent) {
        beginObject()
        key("action"); string(e.action.rawValue)
        key("actor"); string(e.actor)
        key("at"); date(e.at)
        key("case"); string(e.caseId)
        key("data"); textMap(e.data)
        key("holder"); string(e.holder)
        key("id"); string(e.id)
        if !e.lists.isEmpty {
            key("lists"); beginObject()
            for name in e.lists.keys.sorted() {
                key(name); beginArray()
                for item in e.lists[name]! { string(item) }
                endArray()
            }
            endObject()
        }
        key("node"); string(e.node)
        if let note = e.note { key("note"); string(note) }
        key("state"); string(e.state.rawValue)
        endObject()
    }

    mutating func textMap(_ map: TextMap) {
        beginObject()
        for (k, v) in map { key(k); string(v) }  // kept in key order
        endObject()
    }
}

extension JSONReader {
    /// `{"k":"v",…}` as a case's attributes or an event's data; a key given twice is refused (readers differ on which one counts).
    mutating func textMap() throws(JSONReadError) -> TextMap {
        var out = TextMap()
        try object { (r: inout JSONReader, key: String) throws(JSONReadError) in
            if !out.addNew(key, try r.string()) { throw r.fail("key \(key) given twice") }
        }
        return out
    }

    public mutating func readCase() throws(JSONReadError) -> Case {
        var id: String?, channel: String?, subject: String?, intake: String?, state: String?, holder: String?
        var createdAt: Date?, updatedAt: Date?
        var citizen = Citizen(), detail = "", location = Location(), category: String?, requestType: String?
        var attributes = TextMap()
        try fields { (r: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "id": id = try r.string()
            case "channel": channel = try r.string()
            case "citizen":
                if try r.null() { break }
                var c = Citizen()
                try r.fields { (r: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                    switch key {
                    case "name": c.name = try r.optionalString()
                    case "phone": c.phone = try r.optionalString()
                    default: try r.skip()
                    }
                }
                citizen = c
            case "subject": subject = try r.string()
            case "detail": detail = try r.optionalString() ?? ""
            case "location":
                if try r.null() { break }
                var l = Location()
                try r.fields { (r: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                    switch key {
                    case "address": l.address = try r.optionalString()
                    case "division": l.division = try r.optionalString()
                    default: try r.skip()
                    }
                }
                location = l
            case "category": category = try r.optionalString()
            case "request_type": requestType = try r.optionalString()
            case "intake": intake = try r.string()
            case "created_at": createdAt = try r.date()
            case "updated_at": updatedAt = try r.null() ? nil : r.date()
            case "state": state = try r.string()
            case "holder": holder = try r.string()
            case "attributes": attributes = try r.null() ? [:] : r.textMap()
            default: try r.skip()
            }
        }
        guard let id, let channelText = channel, let channel = Channel(rawValue: channelText), let subject, let intake,
              let createdAt, let state, let holder else { throw fail("a case field is missing or invalid") }
        var c = Case(id: id, channel: channel, citizen: citizen, subject: subject, detail: detail, location: location,
                     category: category, requestType: requestType, intake: intake, createdAt: createdAt,
                     state: CaseState(state), holder: holder, attributes: attributes)
        c.updatedAt = updatedAt ?? createdAt
        return c
    }

    public mutating func readEvent() throws(JSONReadError) -> CaseEvent {
        var id: String?, caseId: String?, at: Date?, node: String?, actor: String?, action: String?, state: String?, holder: String?
        var note: String?, data = TextMap(), lists: [String: [String]] = [:]
        try fields { (r: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "id": id = try r.string()
            case "case": caseId = try r.string()
            case "at": at = try r.date()
            case "node": node = try r.string()
            case "actor": actor = try r.optionalString()
            case "action": action = try r.string()
            case "state": state = try r.string()
            case "holder": holder = try r.string()
            case "note": note = try r.optionalString()
            case "data": data = try r.null() ? [:] : r.textMap()
            case "lists":
                if try r.null() { break }
                try r.object { (r: inout JSONReader, key: String) throws(JSONReadError) in
                    if lists.updateValue(try r.stringArray(), forKey: key) != nil { throw r.fail("list \(key) given twice") }
                }
            default: try r.skip()
            }
        }
        guard let id, let caseId, let at, let node, let action, let state, let holder else { throw fail("an event field is missing") }
        var event = CaseEvent(id: id, caseId: caseId, at: at, node: node, actor: actor ?? "system", action: CaseAction(action),
                              state: CaseState(state), holder: holder, note: note)
        event.data = data
        event.lists = lists
        return event
    }

    mutating func date() throws(JSONReadError) -> Date {
        // A time has no escapes: parsed where it lies, without a String (one with an escape takes the long way).
        let (plain, start) = try plainString()
        let d: Date?
        if let plain { d = WireDate.parse(bytes: plain) } else { rewind(to: start - 1); d = WireDate.parse(try string()) }
        guard let d else { throw fail("not an RFC 3339 timestamp") }
        return d
    }
}

extension WireJSON {
    /// A case as stored and sent: the same bytes `encoder().encode(c)` gives.
    public static func bytes(_ c: Case) -> [UInt8] {
        var w = JSONWriter(capacity: 1536)
        w.write(c)
        return w.bytes
    }

    public static func bytes(_ e: CaseEvent) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.write(e)
        return w.bytes
    }

    /// A stored case body; Foundation's decoder when the fast reader declines, so errors say the same.
    public static func decodeCase(_ bytes: some Collection<UInt8>) throws -> Case {
        let fast = bytes.withContiguousStorageIfAvailable { buffer in try? JSONReader.read(buffer) { (r: inout JSONReader) throws(JSONReadError) in try r.readCase() } }
        if let c = fast ?? nil { return c }
        return try decoder().decode(Case.self, from: Data(bytes))
    }

    public static func decodeEvent(_ bytes: some Collection<UInt8>) throws -> CaseEvent {
        let fast = bytes.withContiguousStorageIfAvailable { buffer in try? JSONReader.read(buffer) { (r: inout JSONReader) throws(JSONReadError) in try r.readEvent() } }
        if let e = fast ?? nil { return e }
        return try decoder().decode(CaseEvent.self, from: Data(bytes))
    }
}
