import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// Returns, recalls and rulings across the sample city, end to end.
@Suite(.serialized) final class ReturnsAndRulingsTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("returns") }

    @Test func aCaseIsNeverRoutedBackToAnyUnitThatReturnedIt() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "井盖缺失", "address": "东湖区湖滨街道湖边路3号", "category": "城乡建设"])
        let id = try #require(created.string("id"))
        #expect(eventually { self.at("s990101001", id) == "dispatched@s990101001" })
        #expect(try API.post(url("s990101001", "/api/cases/\(id)/return"), ["reason": "属梨园街道"]).status == 200)
        #expect(eventually { self.at("d990101", id) == "pending@d990101" })
        #expect(try API.post(url("d990101", "/api/cases/\(id)/assign"), ["target": "s990101002"]).status == 200)
        #expect(eventually { self.at("s990101002", id) == "dispatched@s990101002" })
        #expect(try API.post(url("s990101002", "/api/cases/\(id)/return"), ["reason": "属湖滨街道"]).status == 200)
        // The address still points at the first street, which returned it too: an operator decides.
        #expect(eventually { self.at("d990101", id) == "pending@d990101" }, "\(at("d990101", id) ?? "-")")
        let queued = try #require(show("d990101", id)?.array("history")?.last)
        #expect(queued["action"] as? String == "queued" && (queued["note"] as? String ?? "").contains("s990101001 returned"), "\(queued)")
    }

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

    @Test func aRulingHoldsTheUnitUntilTheDispatcherAllowsAReturn() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "占道经营", "address": "南山区南门街道", "category": "城乡建设"])
        let id = try #require(created.string("id"))
        #expect(eventually { self.at("s990102001", id) == "dispatched@s990102001" })
        #expect(try API.post(url("s990102001", "/api/cases/\(id)/return"), ["reason": "不属本街道"]).status == 200)
        #expect(eventually { self.at("d990102", id) == "pending@d990102" })
        let ruled = try API.post(url("d990102", "/api/cases/\(id)/assign"), ["target": "s990102002", "ruling": true, "reason": "经核实属青石街道"])
        #expect(ruled.status == 200, "\(ruled.text)")
        #expect(eventually { self.at("s990102002", id) == "dispatched@s990102002" })
        let refused = try API.post(url("s990102002", "/api/cases/\(id)/return"), ["reason": "仍不属本街道"])
        #expect(refused.status == 409 && refused.string("error", "field") == "ruling", "\(refused.text)")
        #expect(try API.post(url("d990102", "/api/cases/\(id)/allow_return"), ["reason": "同意退回复核"]).status == 200)
        #expect(eventually { (self.show("s990102002", id)?.array("history")?.last?["action"] as? String) == "return_allowed" })
        #expect(try API.post(url("s990102002", "/api/cases/\(id)/return"), ["reason": "仍不属本街道"]).status == 200)
    }
}
