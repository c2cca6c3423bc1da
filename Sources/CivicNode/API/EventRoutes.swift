import CivicCases
import CivicHTTP
import CivicIO
import CivicStore
import CivicWire
import Foundation

/// `GET /api/events`: every event this node applies, for the cases the token may see, as server-sent events
/// (`id:` the event's place in this node's log, `event: case_event`, `data:` the event as JSON). Resumable:
/// `?since=ID` or the `Last-Event-ID` header (without either the stream starts at the newest event); a `:`
/// heartbeat comment keeps proxies from timing it out. A client that falls more than 1 MiB behind is dropped
/// with the connection closed; it reconnects with its last id and loses nothing.
enum EventRoutes {
    static func add(to router: HTTPRouter, _ services: NodeServices) {
        router.on("GET", "/api/events", name: Endpoint.events.rawValue) { request, context, responder in
            guard let access = context.access else { return responder.send(APIError(401, "missing_token", "no caller").response) }
            let holders: [String]?
            switch ListScope.holders(access, asked: nil, me: services.unit) {
            case .failure(let denied): return responder.send(APIError(403, "forbidden", field: "scope", denied.rule).response)
            case .success(let h): holders = h
            }
            var since: Int64?
            if let raw = request.query["since"] ?? request.header("last-event-id"), !raw.isEmpty {
                guard let v = Int64(raw), v >= 0 else {
                    return responder.send(APIError(400, "bad_field", field: "since", "since (or Last-Event-ID) must be the id of an event this stream sent").response)
                }
                since = v
            }
            let (hub, start) = (services.events, since)
            let masks = !AccessRules.seesPersonalData(access.principal, holder: access.principal.unit)
            // A handler bound to one department sees what that department holds, as in its case list.
            let department = access.principal.listsOnlyDepartment
            responder.send(HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache"),
                                                             ("X-Accel-Buffering", "no")], streaming: { stream in
                hub.subscribe(stream, holders: holders, department: department, since: start, masksPhones: masks, who: access.principal.name)
            }))
        }
    }
}

/// The subscribers of `/api/events` and the one loop timer that feeds them: each tick, a subscriber with nothing
/// in flight reads the events after its cursor (an index range on the log's rowid, joined to the case for its
/// holder) and writes them. Loop-confined.
final class EventHub: @unchecked Sendable {
    // Invariant: every property is touched on `loop` only (the route, the timer and the reader's completions run there).
    // Invariant: like the hub, used on the loop only (the reader's completion hops back to it).
    private final class Subscriber: @unchecked Sendable {
        let stream: HTTPStream
        let holders: [String]?
        let department: String?
        let masksPhones: Bool
        var cursor: Int64?
        var reading = false
        var lastWrite = Date()
        init(stream: HTTPStream, holders: [String]?, department: String?, since: Int64?, masksPhones: Bool) {
            self.stream = stream; self.holders = holders; self.department = department; cursor = since; self.masksPhones = masksPhones
        }
    }

    private let loop: EventLoop
    private let reader: NodeReader
    private let log: Logger
    private let heartbeat: Double
    private var subscribers: [ObjectIdentifier: Subscriber] = [:]
    private var timer: TimerHandle?
    /// Clients dropped for falling behind, since start.
    private(set) var dropped = 0

    init(loop: EventLoop, reader: NodeReader, log: Logger, heartbeat: Double) {
        self.loop = loop; self.reader = reader; self.log = log; self.heartbeat = heartbeat
    }

    var count: Int { subscribers.count }

    func subscribe(_ stream: HTTPStream, holders: [String]?, department: String? = nil, since: Int64?, masksPhones: Bool, who: String) {
        let s = Subscriber(stream: stream, holders: holders, department: department, since: since, masksPhones: masksPhones)
        let key = ObjectIdentifier(s)
        subscribers[key] = s
        stream.onClose = { [weak self] in self?.subscribers[key] = nil }
        // Tells the client the stream is live (and, for EventSource, how soon to reconnect).
        stream.write(Array("retry: 2000\n: civicmesh events\n\n".utf8))
        log.debug("event stream opened by \(who) from \(stream.peer)")
        if timer == nil { timer = loop.scheduleTimer(after: 0.2, repeating: 0.2) { [weak self] in self?.tick() } }
        poll(s)
    }

    private func tick() {
        if subscribers.isEmpty, let timer {
            loop.cancelTimer(timer)
            self.timer = nil
            return
        }
        let now = Date()
        for s in subscribers.values {
            poll(s)
            if now.timeIntervalSince(s.lastWrite) >= heartbeat {
                s.lastWrite = now
                if !s.stream.write(Array(": heartbeat\n\n".utf8)) { droppedSlow(s) }
            }
        }
    }

    private func poll(_ s: Subscriber) {
        guard !s.reading, s.stream.isOpen else { return }
        s.reading = true
        let (cursor, holders, department) = (s.cursor, s.holders, s.department)
        reader.read({ queries in try queries.eventsAfter(cursor, holders: holders, department: department, limit: 200) }) { [weak self] result in
            guard let self else { return }
            s.reading = false
            switch result {
            case .success(let page):
                if s.cursor == nil { s.cursor = page.newest; return }
                s.cursor = page.last ?? s.cursor
                guard !page.events.isEmpty else { return }
                var out: [UInt8] = []
                for (ord, body) in page.events {
                    out += Array("id: \(ord)\nevent: case_event\ndata: ".utf8)
                    out += s.masksPhones ? Self.withoutPhone(body) : body
                    out += [0x0A, 0x0A]
                }
                s.lastWrite = Date()
                if !s.stream.write(out) { self.droppedSlow(s) }
                // A full page: more wait; read on at once.
                if page.events.count == 200 { self.poll(s) }
            case .failure(let error):
                self.log.warning("event stream: cannot read the log: \(error)")
            }
        }
    }

    private func droppedSlow(_ s: Subscriber) {
        dropped += 1
        log.warning("event stream to \(s.stream.peer) dropped: more than \(s.stream.maxBuffered) bytes waited for it (it resumes with Last-Event-ID)")
    }

    /// A repeat report's caller (`data.phone`) is personal data: left out for tokens that see phones masked.
    static func withoutPhone(_ body: [UInt8]) -> [UInt8] {
        guard var event = try? WireJSON.decodeEvent(body) else { return body }
        guard event.data["phone"] != nil else { return body }
        event.data["phone"] = nil
        return WireJSON.bytes(event)
    }
}

extension CaseQueries {
    struct EventPage: Sendable {
        var events: [(Int64, [UInt8])]
        var last: Int64?
        /// The newest event's place in the log (where a stream without a cursor starts).
        var newest: Int64
    }

    /// Events after `cursor` in this node's log order, of cases currently held by `holders` (nil: all).
    /// `department`: only cases that department of the holder holds (`attributes.holding_department`).
    func eventsAfter(_ cursor: Int64?, holders: [String]?, department: String? = nil, limit: Int) throws -> EventPage {
        guard let cursor else {
            return EventPage(events: [], last: nil, newest: try db.queryOne("SELECT max(ord) AS m FROM events")?.int("m").map(Int64.init) ?? 0)
        }
        var sql = "SELECT e.ord, e.body FROM events e"
        var args: [SQLValue] = [.integer(cursor)]
        if let holders {
            sql += " JOIN cases c ON c.id = e.case_id WHERE e.ord > ? AND " + Self.holderClause("c.holder", holders)
            args += holders.map { .text($0) }
        } else {
            // (`case_id <> ''`: a restore's marker row is not an event.)
            sql += department == nil ? " WHERE e.ord > ? AND e.case_id <> ''" : " JOIN cases c ON c.id = e.case_id WHERE e.ord > ?"
        }
        if let department {
            sql += " AND json_extract(c.body, '$.attributes.holding_department') = ?"
            args.append(.text(department))
        }
        args.append(.integer(Int64(limit)))
        let rows = try db.query(sql + " ORDER BY e.ord LIMIT ?", args)
        let events = rows.map { (Int64($0.int("ord") ?? 0), Array(($0.string("body") ?? "").utf8)) }
        return EventPage(events: events, last: events.last?.0, newest: events.last?.0 ?? cursor)
    }
}
