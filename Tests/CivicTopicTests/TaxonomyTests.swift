import Foundation
import Testing
@testable import CivicTopic

/// The optional official taxonomy: loading it, marking its phrases, and training with it.
@Suite struct TaxonomyTests {
    static let catalogue: [TaxonomyEntry] = [
        TaxonomyEntry(level1: "城乡建设", level2: "城市建设和市政管理", level3: "违章搭建"),
        TaxonomyEntry(level1: "城乡建设", level2: "安全生产", level3: "其他"),
        TaxonomyEntry(level1: "教育文体", level2: "学校管理", level3: "校车"),
        TaxonomyEntry(level1: "教育文体", level2: "体育", level3: "5G网络"),
        // 噪音 is claimed by two topics: ambiguous, so it teaches nothing.
        TaxonomyEntry(level1: "环境保护", level2: "污染", level3: "噪音"),
        TaxonomyEntry(level1: "城乡建设", level2: "施工", level3: "噪音"),
        // A topic the labelled data lacks still gets its own marker.
        TaxonomyEntry(level1: "政法", level2: "治安", level3: "盗窃"),
    ]

    @Test func csvColumnsAreFoundByNameAndBlankTopicsSkipped() throws {
        let text = "id, Level2 ,level1,level3\n1,安全生产,城乡建设,安全隐患\n2,x,,y\n3,学校管理,教育文体,\n"
        let entries = try TaxonomyCSV.parse(text)
        #expect(entries == [
            TaxonomyEntry(level1: "城乡建设", level2: "安全生产", level3: "安全隐患"),
            TaxonomyEntry(level1: "教育文体", level2: "学校管理", level3: ""),
        ])
        #expect(throws: MessageCSVError.missingColumn(path: "t.csv", column: "level2", header: ["level1", "level3"])) {
            try TaxonomyCSV.parse("level1,level3\na,b\n", path: "t.csv")
        }
    }

    @Test func ambiguousCatchAllAndSingleCharacterPhrasesAreDropped() throws {
        let marks = try #require(TaxonomyMarks(Self.catalogue + [TaxonomyEntry(level1: "政法", level2: "案", level3: "")]))
        #expect(!marks.phrases.contains("噪音"))
        #expect(!marks.phrases.contains("其他"))
        #expect(!marks.phrases.contains("案"))
        #expect(marks.phrases.contains("违章搭建") && marks.phrases.contains("盗窃"))
        #expect(marks.topics == ["城乡建设", "政法", "教育文体", "环境保护"])
        #expect(TaxonomyMarks([TaxonomyEntry(level1: "a", level2: "其他"), TaxonomyEntry(level1: "b", level2: "其他")]) == nil)
    }

    @Test func markerNamesTheTopicOfEachPhraseFound() throws {
        let marks = try #require(TaxonomyMarks(Self.catalogue))
        let urban = Character(Unicode.Scalar(0xE000)!), education = Character(Unicode.Scalar(0xE002)!)
        #expect(marks.marked("小区违章搭建严重") == "小区违章搭建严重 \(urban) \(urban)\(urban)")
        // Topics in catalogue order, each once however many of its phrases occur.
        let both = "校车旁违章搭建，校车超载"
        #expect(marks.marked(both) == both + " \(urban) \(urban)\(urban) \(education) \(education)\(education)")
        // Width, case and digits are normalised as for n-grams; punctuation inside a phrase breaks the match.
        #expect(marks.marked("学校没有５ｇ网络").hasSuffix(" \(education)\(education)"))
        #expect(marks.marked("违章，搭建") == "违章，搭建")
        #expect(marks.marked("楼下噪音很大") == "楼下噪音很大")
    }

    @Test func corruptMarksInAModelHeaderAreRejected() {
        let json = Data(#"{"phrases":["校车"],"topicOfPhrase":[3],"topics":["教育文体"]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TaxonomyMarks.self, from: json) }
    }

    @Test func trainedModelKeepsTheTaxonomyThroughItsFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("topic-taxonomy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let examples = DefaultTopicExamples.messages
        let subject = "学校门口违章搭建"
        let plain = TopicTrainer().train(examples)
        let marked = TopicTrainer().train(examples, taxonomy: Self.catalogue)
        #expect(plain.taxonomyPhraseCount == 0)
        #expect(marked.taxonomyPhraseCount == TaxonomyMarks(Self.catalogue)!.phrases.count)
        #expect(marked.featureCount > plain.featureCount)  // the marker n-grams became features
        #expect(marked.probabilities(subject: subject, detail: "") != plain.probabilities(subject: subject, detail: ""))

        let path = directory.appendingPathComponent("model.bin").path
        try marked.save(to: path)
        let loaded = try TopicModel.load(from: path)
        // Builds that predate markers (version 1) must refuse the file rather than predict without them.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[8] == 2)
        #expect(loaded.taxonomyPhraseCount == marked.taxonomyPhraseCount)
        #expect(loaded.predict(subject: subject) == marked.predict(subject: subject))

        var off = TrainingOptions()
        off.taxonomyMarkers = false
        let ignored = TopicTrainer(options: off).train(examples, taxonomy: Self.catalogue)
        #expect(ignored.taxonomyPhraseCount == 0)
        #expect(ignored.probabilities(subject: subject, detail: "") == plain.probabilities(subject: subject, detail: ""))
    }
}
