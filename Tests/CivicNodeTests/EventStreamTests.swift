import CivicCases
import CivicIO
import CivicNode
import Foundation
import TestSupport
import Testing

/// `GET /api/events` as a client reads it, over a real socket: server-sent events of what the node applies, only
/// for cases in the token's reach, resumable from `Last-Event-ID` without repeats, with heartbeats.
@Suite(.serialized) final class EventStreamTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }
    init() throws { sample = try SampleCity("events") }

    /// Opens the stream and returns the socket after the response head (checked).
    func open(_ token: String, lastEventId: String? = nil, at node: String = "city") throws -> BlockingSocket {
        let address = try #require(HostPort.parse(city.nodes[node]!.httpAddress))
        let socket = try BlockingSocket.connect(host: address.host, port: address.port, timeout: 5)
        try socket.write("GET /api/events HTTP/1.1\r\nHost: city\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n"
                         + (lastEventId.map { "Last-Event-ID: \($0)\r\n" } ?? "") + "\r\n")
        let status = try socket.readLine(timeout: 5) ?? ""
        #expect(status.hasPrefix("HTTP/1.1 200"), "\(status)")
        var headers: [String] = []
        while let line = try socket.readLine(timeout: 5), !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { headers.append(line.lowercased()) }
        #expect(headers.contains { $0.hasPrefix("content-type: text/event-stream") } && !headers.contains { $0.hasPrefix("content-length") }, "\(headers)")
        return socket
    }

    /// Reads events (id, JSON) until `until` holds or the time is up; heartbeat comments are counted.
    func read(_ socket: BlockingSocket, timeout: Double = 10, until: ([(Int64, [String: Any])]) -> Bool) -> (events: [(Int64, [String: Any])], heartbeats: Int) {
        var events: [(Int64, [String: Any])] = [], heartbeats = 0, id: Int64?
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !until(events) {
            guard let line = try? socket.readLine(timeout: max(0.1, deadline.timeIntervalSinceNow)) else { continue }
            let text = line.trimmingCharacters(in: .newlines)
            if text.hasPrefix(": heartbeat") { heartbeats += 1 }
            if text.hasPrefix("id: ") { id = Int64(text.dropFirst(4)) }
            if text.hasPrefix("data: "), let id, let object = try? JSONSerialization.jsonObject(with: Data(text.dropFirst(6).utf8)) as? [String: Any] {
                events.append((id, object))
            }
        }
        return (events, heartbeats)
    }

    func newCase(_ subject: String, address: String) throws -> String {
        let r = try API.post(url("city", "/api/cases"), ["subject": subject, "address": address, "category": "城乡建设", "channel": "hotline"])
        return try #require(r.string("id"), "\(r.text)")
    }

    @Test func aClientSeesEachEventOnceInItsReachAndResumesWhereItLeftOff() throws {
        let viewer = try NodeTokens.create(config: city.configs["city"]!, role: .viewer, unit: "d990101", name: "screen-donghu", lifetime: 3600).token
        let stream = try open(viewer)
        let mine = try newCase("路灯不亮", address: "东湖区湖滨街道"), other = try newCase("路灯不亮了", address: "南山区南门街道")
        let first = read(stream) { events in events.contains { $0.1["case"] as? String == mine && $0.1["action"] as? String == "dispatched" } }
        #expect(first.events.contains { $0.1["case"] as? String == mine && $0.1["action"] as? String == "created" }, "\(first.events.map(\.1))")
        #expect(!first.events.contains { $0.1["case"] as? String == other }, "南山区's case is outside the viewer's reach")
        #expect(first.events.map(\.0) == first.events.map(\.0).sorted() && Set(first.events.map(\.0)).count == first.events.count, "ids grow, none twice")
        let heard = read(stream, timeout: 3) { _ in false }
        #expect(heard.heartbeats >= 1, "a heartbeat comment keeps the stream alive")
        stream.close()

        // Reconnecting with the last id: only what came after, nothing again.
        let lastId = try #require(first.events.last?.0)
        let later = try newCase("井盖松动", address: "东湖区梨园街道")
        let resumed = try open(viewer, lastEventId: String(lastId))
        let second = read(resumed) { events in events.contains { $0.1["case"] as? String == later && $0.1["action"] as? String == "dispatched" } }
        #expect(second.events.allSatisfy { $0.0 > lastId } && !second.events.contains { $0.1["case"] as? String == mine && $0.1["action"] as? String == "created" },
                "\(second.events.map { "\($0.0) \($0.1["case"] ?? "") \($0.1["action"] ?? "")" })")
        #expect(second.events.contains { $0.1["case"] as? String == later })
        resumed.close()
        #expect(try API.get(url("city", "/api/events?since=abc")).string("error", "field") == "since")
        #expect(try API.get(url("city", "/api/events"), token: "").status == 401)
    }

    /// A handler bound to one department streams what that department holds, as its case list shows.
    @Test func aDepartmentsHandlerStreamsOnlyWhatItsDepartmentHolds() throws {
        let district = city.configs["d990101"]!
        let social = try NodeTokens.create(config: district, role: .handler, unit: nil, name: "renshe-screen", lifetime: 3600, department: "区人社局").token
        let water = try NodeTokens.create(config: district, role: .handler, unit: nil, name: "shuiwu-screen", lifetime: 3600, department: "区水务局").token
        let socialStream = try open(social, at: "d990101"), waterStream = try open(water, at: "d990101")
        Thread.sleep(forTimeInterval: 0.6)  // both streams have taken their starting point
        let r = try API.post(url("city", "/api/cases"), ["subject": "失业金申领进度", "address": "东湖区湖滨街道", "category": "劳动和社会保障", "channel": "hotline"])
        let id = try #require(r.string("id"), "\(r.text)")
        let seen = read(socialStream) { events in events.contains { $0.1["case"] as? String == id && $0.1["action"] as? String == "dispatched" } }
        #expect(seen.events.contains { $0.1["case"] as? String == id }, "\(seen.events.map(\.1))")
        let other = read(waterStream, timeout: 3) { _ in false }
        #expect(!other.events.contains { $0.1["case"] as? String == id }, "区水务局's handler does not see 区人社局's case: \(other.events.map(\.1))")
        #expect(other.heartbeats >= 1, "its stream is alive")
        socialStream.close()
        waterStream.close()
    }
}
