import CivicTopic
import CivicCases
import Foundation
import SharedTestData
import Testing
@testable import CivicTriage

/// A topic model that always answers the same, so that each triage path can be driven.
struct StubTopic: TopicPredicting {
    var guess: TopicPrediction
    func predict(subject: String, detail: String) -> TopicPrediction { guess }
}

@Suite(.enabled(if: SharedData.available("wuhan_divisions.json"), Comment(rawValue: SharedData.missing("wuhan_divisions.json")))) struct TriageTests {
    let topology: Topology
    static let confident = TopicPrediction(
        best: .init(label: "环境保护", probability: 0.91),
        top: [.init(label: "环境保护", probability: 0.91), .init(label: "城乡建设", probability: 0.05)], confident: true)
    static let unsure = TopicPrediction(
        best: .init(label: "城乡建设", probability: 0.38),
        top: [.init(label: "城乡建设", probability: 0.38), .init(label: "环境保护", probability: 0.31),
              .init(label: "交通运输", probability: 0.2), .init(label: "卫生计生", probability: 0.11)],
        confident: false)

    init() throws {
        var t = try TestData.wuhan()
        t.catalogue = ["环境保护": ["street": "街道城管执法中队", "district": "区生态环境局", "city": "市生态环境局"]]
        topology = t
    }

    func input(address: String?, code: String? = nil) -> TriageInput {
        TriageInput(subject: "投诉楼下烧烤店油烟扰民", detail: "每天晚上经营到凌晨，油烟很大", address: address,
                    divisionCode: code)
    }

    @Test func confidentPathGivesPlaceTypeTopicAndDepartment() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.confident))
        let d = triage.decide(input(address: "江岸区大智街道中山大道1234号"), within: nil)
        #expect(d.place.outcome == .placed(nodeId: "s420102002"))
        #expect(d.requestType.type == .complaint)
        #expect(d.topic == Self.confident)
        #expect(d.department == "街道城管执法中队")
        #expect(d.reasons.count == 4)
        #expect(d.reasons[0].hasPrefix("place: ") && d.reasons[0].contains("大智街道"))
        #expect(d.reasons[1].hasPrefix("type: complaint"))
        #expect(d.reasons[2] == "topic: 环境保护 (91%)")
        #expect(d.reasons[3].contains("街道城管执法中队") && d.reasons[3].contains("street"))
    }

    @Test func aGivenTopicDecidesOverAnUnsureGuess() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.unsure))
        var given = input(address: "江岸区大智街道中山大道1234号")
        given.category = "环境保护"
        let d = triage.decide(given, within: nil)
        #expect(d.category == "环境保护" && d.topic == Self.unsure, "the guess is kept for audit, the given topic decides")
        #expect(d.department == "街道城管执法中队")
        #expect(d.reasons[2] == "topic: 环境保护 (given at intake)")
        #expect(triage.decide(input(address: "江岸区大智街道中山大道1234号"), within: nil).category == nil)
        let blank = TriageInput(subject: "路灯不亮", detail: "", category: "  ")
        #expect(blank.category == nil, "a blank category is no category")
    }

    @Test func departmentFollowsTheTierOfThePlacedUnit() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.confident))
        #expect(triage.decide(input(address: "洪山区珞喻路"), within: nil).department == "区生态环境局")
        #expect(triage.decide(input(address: nil, code: "420106"), within: nil).department == "区生态环境局")
        var noCatalogue = topology
        noCatalogue.catalogue = [:]
        let d = Triage(topology: noCatalogue, topic: StubTopic(guess: Self.confident)).decide(input(address: "洪山区"), within: nil)
        #expect(d.department == nil)
        #expect(d.reasons.last?.contains("none in the catalogue") == true)
    }

    @Test func ambiguousPlaceGivesNoDepartment() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.confident))
        let d = triage.decide(input(address: "李集街道"), within: nil)
        #expect(d.place.outcome == .ambiguous(candidates: ["s420116010", "s420117005"]))
        #expect(d.department == nil)
        #expect(d.reasons.last == "department: none, the place is not settled")
    }

    @Test func unknownPlaceFallsBackToTheMessageText() {
        let triage = Triage(topology: topology, topic: nil)
        let d = triage.decide(input(address: nil), within: nil)
        #expect(d.place.outcome == .unknown)
        #expect(d.place.reason.hasPrefix("from the message text"))
        #expect(d.topic == nil && d.department == nil)
        #expect(d.reasons.last == "topic: no topic model; no department")
        // The message text is used when it names a place.
        let named = TriageInput(subject: "武昌区中华路街道某工地夜间施工", detail: "噪音扰民")
        #expect(triage.decide(named, within: nil).place.outcome == .placed(nodeId: "s420106006"))
    }

    @Test func lowTopicConfidenceListsTopThreeAndGivesNoDepartment() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.unsure))
        let d = triage.decide(input(address: "江岸区大智街道"), within: nil)
        #expect(d.place.outcome == .placed(nodeId: "s420102002"))
        #expect(d.department == nil)
        let line = d.reasons[2]
        #expect(line.contains("not confident"))
        #expect(line.contains("城乡建设 38%") && line.contains("环境保护 31%") && line.contains("交通运输 20%"))
        #expect(!line.contains("卫生计生"))
    }

    @Test func scopeIsPassedToThePlace() {
        let triage = Triage(topology: topology, topic: StubTopic(guess: Self.confident))
        #expect(triage.decide(input(address: "李集街道"), within: "d420117").place.outcome == .placed(nodeId: "s420117005"))
        #expect(triage.decide(input(address: "武昌区"), within: "d420102").place.outcome == .unknown)
    }
}
