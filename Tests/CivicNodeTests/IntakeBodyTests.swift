import CivicCases
@testable import CivicNode
import Foundation
import Testing

/// The intake answer is written by hand on the hot path; it must stay the bytes the API's encoder writes.
@Suite struct IntakeBodyTests {
    @Test func theHandWrittenAnswerIsTheEncodersBytes() throws {
        var c = Case(id: "JC-20261203-000001", channel: .hotline, citizen: Citizen(name: "张\"三", phone: "138"), subject: "路灯不亮/坏了",
                     detail: "line\nbreak", location: Location(address: "东湖区"), category: "城乡建设", intake: "city",
                     createdAt: Date(timeIntervalSince1970: 1_790_000_000.123), state: .dispatched, holder: "s990101001",
                     attributes: ["place": "s990101001", "topic_probability": "0.912"])
        c.updatedAt = c.createdAt.addingTimeInterval(1)
        for linkedTo in [nil, "JC-20261202-000009"] as [String?] {
            let body = IntakeBody(id: c.id, linkedTo: linkedTo, case: c, reasons: ["place: address matched", "type: complaint 3"])
            #expect(body.json == Array(try Reply.encoder.encode(body)), "\(String(decoding: body.json, as: UTF8.self))")
        }
    }
}
