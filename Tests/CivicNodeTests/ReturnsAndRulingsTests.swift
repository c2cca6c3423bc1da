import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// A recall across the sample city over real links (returns, re-routing and rulings are tested on the
/// engine mesh: EngineMeshTests).
@Suite(.serialized) final class ReturnsAndRulingsTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("returns") }

    @Test func theCityRecallsACaseHeldBelowAndReassignsIt() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "噪音扰民", "address": "东湖区湖滨街道", "category": "环境保护"])
        let id = try #require(created.string("id"))
        #expect(eventually { self.at("s990101001", id) == "dispatched@s990101001" })
        #expect(try API.post(url("s990101001", "/api/cases/\(id)/accept"), [:]).status == 200)
        #expect(eventually { self.at("city", id) == "accepted@s990101001" })
        let noReason = try API.post(url("city", "/api/cases/\(id)/assign"), ["target": "s990102001"])
        #expect(noReason.status == 422 && noReason.string("error", "field") == "reason", "\(noReason.text)")
        let recalled = try API.post(url("city", "/api/cases/\(id)/assign"), ["target": "s990102001", "reason": "实为南门街道辖区"])
        #expect(recalled.status == 200 && recalled.string("case", "holder") == "s990101001", "a request: the holder carries it out \(recalled.text)")
        #expect(eventually { self.at("s990102001", id) == "dispatched@s990102001" })
        #expect(eventually { self.at("city", id) == "dispatched@s990102001" })
        // The street it was taken from handed it up, and can no longer act on it.
        #expect(at("s990101001", id) == "returned@d990101")
        #expect(try API.post(url("s990101001", "/api/cases/\(id)/resolve"), ["reply": "x"]).status == 409)
        let actions = try #require(show("city", id)?.array("history")).compactMap { $0["action"] as? String }
        #expect(actions.suffix(4) == ["recall_requested", "handed_up", "handed_up", "assigned"], "\(actions)")
        let request = try #require(show("city", id)?.array("history")?.first { $0["action"] as? String == "recall_requested" })
        #expect((request["note"] as? String ?? "").contains("实为南门街道辖区"))
    }
}
