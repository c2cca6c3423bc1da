import CivicCases
import Foundation
import SharedTestData
import Testing

@Suite struct TopologyDivisionsTests {
    @Test(.enabled(if: SharedData.available("wuhan_divisions.json"), Comment(rawValue: SharedData.missing("wuhan_divisions.json")))) func wuhanImportsAsAThreeTierTree() throws {
        let topology = try TestData.wuhan()
        #expect(topology.casePrefix == "WH")
        #expect(topology.root.id == "city" && topology.root.name == "武汉市" && topology.root.codes == ["4201"])
        #expect(topology.root.children.count == 13)
        #expect(topology.allNodes.count == 1 + 13 + 193)
        let jiangan = try #require(topology.find("d420102"))
        #expect(jiangan.name == "江岸区" && jiangan.tier == .district && jiangan.codes == ["420102"])
        let dazhi = try #require(topology.find("s420102002"))
        #expect(dazhi.name == "大智街道" && dazhi.tier == .street && dazhi.codes == ["420102002"])
        #expect(topology.parent(of: "s420102002") == "d420102")
        #expect(topology.problems().isEmpty)
    }

    @Test(.enabled(if: SharedData.available("xining_divisions.json"), Comment(rawValue: SharedData.missing("xining_divisions.json")))) func prefixDefaultsAndOverride() throws {
        #expect(try TestData.xining().casePrefix == "XN")
        let json = Data(#"{"city":{"code":"9901","name":"某市"},"districts":[]}"#.utf8)
        #expect(try Topology.fromDivisions(json: json).casePrefix == "C9901")
        #expect(try Topology.fromDivisions(json: json, casePrefix: "MS").casePrefix == "MS")
    }

    @Test func missingFieldsAreNamed() {
        let cases: [(String, DivisionsImportError)] = [
            (#"{"districts":[]}"#, .missingField(path: "city")),
            (#"{"city":{"code":"4201"},"districts":[]}"#, .missingField(path: "city.name")),
            (#"{"city":{"code":"4201","name":"武汉市"}}"#, .missingField(path: "districts")),
            (#"{"city":{"code":"4201","name":"武汉市"},"districts":[{"code":"420102","name":"江岸区","streets":[{"name":"大智街道"}]}]}"#,
             .missingField(path: "districts[0].streets[0].code")),
        ]
        for (json, expected) in cases {
            #expect(throws: expected) { try Topology.fromDivisions(json: Data(json.utf8)) }
        }
    }

    @Test func badValuesAreRejected() {
        #expect(throws: DivisionsImportError.invalidField(path: "districts[0].code", expected: "a non-empty string of digits")) {
            try Topology.fromDivisions(json: Data(#"{"city":{"code":"4201","name":"武汉市"},"districts":[{"code":"x","name":"江岸区"}]}"#.utf8))
        }
        #expect(throws: DivisionsImportError.duplicateCode(code: "420102", path: "districts[1].code")) {
            try Topology.fromDivisions(json: Data(
                #"{"city":{"code":"4201","name":"武汉市"},"districts":[{"code":"420102","name":"江岸区"},{"code":"420102","name":"江汉区"}]}"#.utf8))
        }
        do {
            _ = try Topology.fromDivisions(json: Data("not json".utf8))
            Issue.record("expected an error")
        } catch let error as DivisionsImportError {
            guard case .notJSON = error else { Issue.record("expected notJSON, got \(error)"); return }
        } catch { Issue.record("unexpected \(error)") }
    }
}
