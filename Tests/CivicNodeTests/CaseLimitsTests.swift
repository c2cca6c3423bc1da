import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// No accepted case can produce a mesh line the peers would refuse: every field has a limit checked at
/// intake, and a change whose line would not fit is refused to its caller before commit, never queued.
@Suite(.serialized) final class CaseLimitsTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("limits") }

    @Test func anOversizedFieldIsRefusedNamingItAndTheLinkKeepsCarryingCases() throws {
        let huge = "东湖区湖滨街道" + String(repeating: "a", count: 1_048_400 - 200)
        let r = try API.post(url("city", "/api/cases"), ["subject": "路灯", "category": "城乡建设", "address": huge])
        #expect(r.status == 422 && r.string("error", "field") == "address" && r.string("error", "code") == "too_long", "\(r.text)")
        for (field, value) in [("citizen_name", String(repeating: "名", count: 100)), ("citizen_phone", String(repeating: "1", count: 40)),
                               ("division", String(repeating: "9", count: 40)), ("category", String(repeating: "类", count: 100))] {
            let refused = try API.post(url("city", "/api/cases"), ["subject": "路灯", "address": "东湖区", field: value])
            #expect(refused.status == 422 && refused.string("error", "field") == field, "\(field): \(refused.text)")
        }
        let grid = try API.post(url("s990101001", "/api/cases"), ["subject": "路灯", "detail": String(repeating: "细", count: 20_001)])
        #expect(grid.status == 422 && grid.string("error", "field") == "detail", "\(grid.text)")
        let later = try API.post(url("city", "/api/cases"), ["subject": "路灯不亮", "address": "东湖区湖滨街道1号", "category": "城乡建设"])
        let id = try #require(later.string("id"))
        #expect(eventually { self.state(at: "s990101001", id) == "dispatched" }, "the district's link still carries cases")
    }

    @Test func everyFieldAtItsLimitStillFitsAndAnOverlongHistoryIsRefusedBeforeCommit() throws {
        // Quotes and backslashes double in JSON: the worst case for a line's size.
        func worst(_ bytes: Int) -> String { String(repeating: "\"\\", count: bytes / 2) }
        let body: [String: Any] = ["subject": worst(CaseLimits.subject), "detail": worst(CaseLimits.detail), "address": "东湖区湖滨街道" + worst(CaseLimits.address - 21),
                                   "citizen_name": worst(CaseLimits.citizenName), "citizen_phone": String(repeating: "1", count: CaseLimits.phone),
                                   "category": "城乡建设"]
        let created = try API.post(url("city", "/api/cases"), body)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.string("id"))
        #expect(eventually { self.state(at: "s990101001", id) == "dispatched" })
        #expect(try API.post(url("s990101001", "/api/cases/\(id)/accept"), [:]).status == 200)
        // Notes at their limit: the street's updates are small, but the history they build is not.
        for _ in 0..<(CaseLimits.maxEvents - 6) {
            let r = try API.post(url("s990101001", "/api/cases/\(id)/progress"), ["note": worst(CaseLimits.note)])
            #expect(r.status == 200, "\(r.text)")
        }
        #expect(try API.post(url("s990101001", "/api/cases/\(id)/return"), ["reason": "x"]).status == 200)
        #expect(eventually { self.state(at: "d990101", id) == "pending" }, "the district queues the returned case")
        // A dispatch carries the whole history: over max_line_bytes, so the assign is refused and nothing is queued.
        let assign = try API.post(url("d990101", "/api/cases/\(id)/assign"), ["target": "s990101002"])
        #expect(assign.status == 422 && assign.string("error", "field") == "case" && assign.string("error", "code") == "too_long", "\(assign.text)")
        #expect(state(at: "d990101", id) == "pending", "the refused assign changed nothing")

        // And a case's history is bounded: after maxEvents events, actions are refused with a reason.
        let small = try API.post(url("s990101003", "/api/cases"), ["subject": "楼道堆物", "category": "城乡建设"])
        let smallId = try #require(small.string("id"))
        var refusal: JSONResponse?
        for _ in 0..<CaseLimits.maxEvents {
            let r = try API.post(url("s990101003", "/api/cases/\(smallId)/progress"), ["note": "处理中"])
            if r.status != 200 { refusal = r; break }
        }
        let refused = try #require(refusal, "the history is bounded")
        #expect(refused.status == 422 && refused.string("error", "field") == "history", "\(refused.text)")

        // Whatever was refused, every link still flows and nothing stays in an outbox.
        let later = try API.post(url("city", "/api/cases"), ["subject": "噪音扰民", "address": "东湖区梨园街道", "category": "环境保护"])
        let laterId = try #require(later.string("id"))
        #expect(eventually { self.state(at: "s990101002", laterId) == "dispatched" })
        for (node, peer) in [("city", "d990101"), ("d990101", "city"), ("d990101", "s990101001"), ("s990101001", "d990101")] {
            #expect(eventually { (try? self.city.nodes[node]!.linkFigures(peer).outboxDepth) == 0 }, "\(node)→\(peer) drains")
        }
    }
}
