import CivicCases
import Foundation
import SharedTestData
import Testing
@testable import CivicTriage

@Suite(.enabled(if: SharedData.available("wuhan_divisions.json", "xining_divisions.json"), Comment(rawValue: SharedData.missing("wuhan_divisions.json", "xining_divisions.json")))) struct GazetteerTests {
    let gazetteer: Gazetteer

    init() throws { gazetteer = Gazetteer(topology: try TestData.wuhan()) }

    func locate(_ address: String?, code: String? = nil, within: String? = nil) -> PlaceDecision {
        gazetteer.locate(address: address, divisionCode: code, within: within)
    }

    @Test func streetCodeDistrictCodeAndPaddedCode() {
        #expect(locate(nil, code: "420102002").outcome == .placed(nodeId: "s420102002"))
        #expect(locate(nil, code: "420102002000").outcome == .placed(nodeId: "s420102002"))
        #expect(locate(nil, code: "420106").outcome == .placed(nodeId: "d420106"))
        #expect(locate(nil, code: "420106000000").outcome == .placed(nodeId: "d420106"))
        // The code wins over words that say otherwise.
        let decision = locate("武昌区中华路街道", code: "420102002")
        #expect(decision.outcome == .placed(nodeId: "s420102002"))
        #expect(decision.reason.contains("420102002") && decision.reason.contains("大智街道"))
    }

    @Test func unknownCodeIsNamedInTheReason() {
        let decision = locate("江岸区大智街道", code: "429999001")
        #expect(decision.outcome == .unknown)
        #expect(decision.reason.contains("429999001"))
    }

    @Test func fullStreetNameAndDistrict() {
        let decision = locate("武汉市江岸区大智街道中山大道1234号3栋")
        #expect(decision.outcome == .placed(nodeId: "s420102002"))
        #expect(decision.reason.contains("江岸区") && decision.reason.contains("大智街道"))
    }

    @Test func shortFormsOfStreets() {
        #expect(locate("我家住在大智街附近").outcome == .placed(nodeId: "s420102002"))
        #expect(locate("江岸大智中山大道88号").outcome == .placed(nodeId: "s420102002"))
        #expect(locate("丹水池小区门口").outcome == .placed(nodeId: "s420102012"))
        #expect(locate("凤凰镇政府旁边").outcome == .placed(nodeId: "s420117102"))
        #expect(locate("百步亭社区").outcome == .placed(nodeId: "s420102400"))
        #expect(locate("武汉江夏经济开发区庙山高新技术产业园").outcome == .placed(nodeId: "s420115401"))
        #expect(locate("庙山还建房").outcome == .placed(nodeId: "s420115401"))
    }

    @Test func districtOnly() {
        let decision = locate("洪山区珞喻路1037号")
        #expect(decision.outcome == .placed(nodeId: "d420111"))
        #expect(decision.reason.contains("no street"))
        #expect(locate("江岸 解放大道").outcome == .placed(nodeId: "d420102"))
    }

    @Test func sameStreetNameInTwoDistrictsIsAmbiguousUntilTheDistrictIsNamed() {
        #expect(locate("李集街道农贸市场").outcome == .ambiguous(candidates: ["s420116010", "s420117005"]))
        #expect(locate("新洲区李集街道农贸市场").outcome == .placed(nodeId: "s420117005"))
        #expect(locate("东湖风景区").outcome == .ambiguous(candidates: ["s420106490", "s420111491"]))
    }

    @Test func conflictingDistrictAndStreetIsAmbiguous() {
        let decision = locate("武昌区大智街道")
        guard case .ambiguous(let candidates) = decision.outcome else {
            Issue.record("expected ambiguous, got \(decision)")
            return
        }
        #expect(Set(candidates) == ["s420102002", "d420106"])
        #expect(decision.reason.contains("conflict"))
        #expect(locate("江岸区和武昌区交界").outcome == .ambiguous(candidates: ["d420102", "d420106"]))
    }

    @Test func commonWordsAndRoadsAreNotPlaces() {
        // "新村" and "和平" are street stems but also ordinary words; "后湖大道" and "台北路" are roads.
        #expect(locate("工人新村3栋").outcome == .unknown)
        #expect(locate("新村").reason.contains("新村"))
        #expect(locate("和平大道特1号").outcome == .unknown)
        #expect(locate("后湖大道100号").outcome == .unknown)
        #expect(locate("台北路22号").outcome == .unknown)
        #expect(locate("中山大道1234号3栋").outcome == .unknown)
        // With its district named, the common stem is trusted.
        #expect(locate("江岸区新村小区").outcome == .placed(nodeId: "s420102011"))
        #expect(locate("洪山广场地铁站").outcome == .unknown)
    }

    @Test func nothingGivenOrNothingFound() {
        #expect(locate(nil).outcome == .unknown)
        #expect(locate("   ").outcome == .unknown)
        let decision = locate("楼下烧烤店每天吵到半夜")
        #expect(decision.outcome == .unknown)
        #expect(decision.reason.contains("no district or street"))
    }

    @Test func withinScopeChoosesAmongTheDistrictsStreets() {
        // "李集" is in 黄陂 and 新洲; 黄陂's dispatcher means its own.
        #expect(locate("李集街道", within: "d420116").outcome == .placed(nodeId: "s420116010"))
        #expect(locate("大智街", within: "d420102").outcome == .placed(nodeId: "s420102002"))
        // A place outside the scope is a contradiction, not a placement.
        let outside = locate("武昌区中华路街道", within: "d420102")
        #expect(outside.outcome == .unknown)
        #expect(outside.reason.contains("outside"))
        #expect(locate(nil, code: "420106006", within: "d420102").outcome == .unknown)
        #expect(locate("江岸区", within: "s420102002").outcome == .unknown)
        #expect(locate("江岸区大智街道", within: "s420102002").outcome == .placed(nodeId: "s420102002"))
        #expect(locate("大智街", within: "nowhere").outcome == .unknown)
    }

    @Test func xiningAutonomousCountyAndTownships() throws {
        let xining = Gazetteer(topology: try TestData.xining())
        #expect(xining.locate(address: "大通县桥头镇", divisionCode: nil).outcome == .placed(nodeId: "s630121100"))
        #expect(xining.locate(address: "湟中群加乡", divisionCode: nil).outcome == .placed(nodeId: "s630106200"))
        // 城关镇 exists in two counties.
        guard case .ambiguous = xining.locate(address: "城关镇", divisionCode: nil).outcome else {
            Issue.record("城关镇 must be ambiguous")
            return
        }
    }
}
