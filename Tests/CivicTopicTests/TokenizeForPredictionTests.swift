import Foundation
import Testing
@testable import CivicTopic

/// Prediction tokenizes against the model's vocabulary (unknown n-grams dropped before the sort): it must give
/// the blocks of the full tokenization less the unknown keys, and the very same probabilities.
@Suite struct TokenizeForPredictionTests {
    /// Plain, and with taxonomy phrases marked in the text (as a node's model is trained).
    static let models = [TopicTrainer().train(DefaultTopicExamples.messages),
                         TopicTrainer().train(DefaultTopicExamples.messages, taxonomy: TaxonomyTests.catalogue)]

    /// The examples themselves (mostly known n-grams), unseen texts (mostly unknown), and the edges: no detail, a
    /// detail of punctuation only (no n-gram: the title-only scale), a detail of one character, full-width text.
    static let texts: [(String, String)] = DefaultTopicExamples.messages.prefix(60).map { ($0.subject, $0.detail) } + [
        ("路灯不亮", ""), ("小区门口垃圾堆积", "，。！？"), ("噪音扰民", "吵"), ("ＡＢＣ小区停水", "从昨天晚上８点开始停水，至今未恢复。"),
        ("冋册咱堔偿奂", "妬吁坉依嗗叕号垵叐乱匋塅垓刪呀噍堧僠嗆允仪嗭嘆嚒儱喕嗮伜仹咏埊圬佳囫妒伔劊作嘡"), ("", "只有内容没有标题的留言"),
    ]

    @Test(arguments: [0, 1]) func keepsExactlyTheKnownNGramsOfTheFullTokenization(model index: Int) {
        let model = Self.models[index], extractor = NGramExtractor(settings: model.space.settings)
        var dropped = 0
        for (subject, detail) in Self.texts {
            let full = extractor.tokenize(subject: subject, detail: detail)
            let kept = extractor.tokenize(subject: subject, detail: detail, known: model.space.indexOf)
            func known(_ block: [NGramCount]) -> [NGramCount] { block.filter { model.space.indexOf[$0.key] != nil } }
            #expect(kept.subject == known(full.subject), "\(subject)")
            #expect(kept.detail == known(full.detail), "\(subject)")
            #expect(kept.shared == known(full.shared), "\(subject)")
            #expect(kept.hasDetail == full.hasDetail && full.hasDetail == !full.detail.isEmpty, "\(subject)")
            dropped += full.detail.count - kept.detail.count
        }
        #expect(dropped > 0, "the unseen texts bring n-grams the model does not know")
    }

    @Test(arguments: [0, 1]) func predictsTheSameProbabilitiesToTheBit(model index: Int) {
        let model = Self.models[index], extractor = NGramExtractor(settings: model.space.settings)
        for (subject, detail) in Self.texts {
            let full = model.probabilities(tokenized: extractor.tokenize(subject: subject, detail: detail))
            #expect(model.probabilities(subject: subject, detail: detail) == full, "\(subject) / \(detail)")
        }
        // A punctuation-only detail is a title-only message: its scale, not the one for a detail.
        #expect(model.probabilities(subject: "小区门口垃圾堆积", detail: "，。！？") == model.probabilities(subject: "小区门口垃圾堆积", detail: ""))
    }
}
