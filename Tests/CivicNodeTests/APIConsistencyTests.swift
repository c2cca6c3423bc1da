import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// One rule for status codes and error bodies (README, "HTTP API"), and what the logs say.
@Suite(.serialized) final class APIConsistencyTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }

    init() throws { sample = try SampleCity("apirules") }

    @Test func statusCodesAndErrorBodiesFollowOneRule() throws {
        let unknown = try API.get(url("city", "/api/nothing"))
        #expect(unknown.status == 404 && unknown.string("error", "field") == "path", "\(unknown.text)")
        let deep = try API.post(url("city", "/api/cases/a/b/c"), [:])
        #expect(deep.status == 404, "\(deep.text)")
        let wrongMethod = try API.request("GET", url("city", "/api/cases/JC-1/accept"))
        #expect(wrongMethod.status == 405 && wrongMethod.string("error", "field") == "method", "\(wrongMethod.text)")
        let array = try API.request("POST", url("city", "/api/cases"), raw: Array("[1,2]".utf8))
        #expect(array.status == 400 && array.string("error", "code") == "bad_json" && array.string("error", "field") == "body", "\(array.text)")
        #expect(!array.text.contains("Dictionary") && array.text.contains("not an array"), "\(array.text)")
        let wrongType = try API.request("POST", url("city", "/api/cases"), ["subject": ["x"]])
        #expect(wrongType.status == 400 && wrongType.string("error", "field") == "subject" && wrongType.text.contains("must be a string"), "\(wrongType.text)")
        let badJSON = try API.request("POST", url("city", "/api/cases"), raw: Array("{nope".utf8))
        #expect(badJSON.status == 400 && badJSON.string("error", "field") == "body")
        let missing = try API.get(url("city", "/api/cases/NOPE-1"))
        #expect(missing.status == 404 && missing.string("error", "field") == "id")
        let noAction = try API.post(url("city", "/api/cases/NOPE-1/fly"), [:])
        #expect(noAction.status == 404 && noAction.string("error", "field") == "action", "\(noAction.text)")
    }

    @Test func settlingTheTopicByHandNamesTheDepartmentAsAutomaticDispatchWould() throws {
        let created = try API.post(url("city", "/api/cases"), ["subject": "您好，请帮忙看看", "detail": "有个情况想反映一下", "address": "东湖区梨园街道"])
        let id = try #require(created.string("id"))
        #expect(created.string("case", "state") == "pending", "\(created.text)")
        let assigned = try API.post(url("city", "/api/cases/\(id)/assign"), ["target": "s990101002", "category": "环境保护"])
        #expect(assigned.status == 200 && assigned.string("case", "attributes", "department") == "街道环卫所", "\(assigned.text)")
        #expect(eventually { (try? API.get(self.url("s990101002", "/api/cases/\(id)")).string("case", "attributes", "department")) == "街道环卫所" })
    }
}

/// What a node's log says, read from a real node process.
@Suite(.serialized) struct NodeLogTests {
    @Test func aChildThatCannotReachItsParentSaysSoOnceInAWhileAndCaseActionsAreLogged() throws {
        let city = try ProcessCity(topology: SampleTopology.load(), label: "nodelog")
        defer { city.stopAll() }
        try city.start("s990101001")  // its district is not running
        let created = try API.post(city.url("s990101001", "/api/cases"), ["subject": "路灯不亮", "category": "城乡建设"])
        #expect(created.status == 201)
        Thread.sleep(forTimeInterval: 3)
        let log = city.log("s990101001")
        let failures = log.split(separator: "\n").filter { $0.contains("cannot reach parent d990101") }
        #expect(failures.count == 1, "one line at once, then at most one every 30 s:\n\(log)")
        #expect(log.contains("case \(created.string("id") ?? "?") created (grid)"), "\(log)")
    }
}
