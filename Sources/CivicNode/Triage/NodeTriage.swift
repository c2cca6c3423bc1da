import CivicCases
import CivicTopic
import CivicTriage
import Foundation

/// The node's routing rules: CivicTriage's gazetteer for places, its request-type rules, and the topic model.
struct NodeTriage: CaseRouting {
    let gazetteer: Gazetteer
    let topic: TopicModel?

    static func make(config: NodeConfig) throws -> NodeTriage {
        let model: TopicModel?
        if let path = config.topicModel, !path.isEmpty {
            do { model = try TopicModel.load(from: path) } catch {
                throw ConfigError(file: "-", field: "topic_model", problem: "cannot load \(path): \(error)")
            }
        } else {
            model = DefaultTopicModel.shared
        }
        return NodeTriage(gazetteer: Gazetteer(topology: config.topology), topic: model)
    }

    func place(_ c: Case, within scope: TopologyNode) -> Placement {
        let text = c.location.address.flatMap { $0.isEmpty ? nil : $0 } ?? (c.subject + " " + c.detail)
        let decision = gazetteer.locate(address: text, divisionCode: c.location.division, within: scope.id)
        switch decision.outcome {
        case .placed(let id): return Placement(target: id, reason: decision.reason)
        case .ambiguous(let candidates): return Placement(target: nil, candidates: candidates, reason: decision.reason)
        case .unknown: return Placement(target: nil, reason: decision.reason)
        }
    }

    func analyse(_ draft: CaseDraft) -> (category: String?, requestType: String?, attributes: [String: String], reasons: [String]) {
        let type = RequestTypeClassifier.classify(subject: draft.subject, detail: draft.detail)
        guard let p = topic?.predict(subject: draft.subject, detail: draft.detail) else {
            return (nil, type.type.rawValue, ["request_type_reason": type.reason], ["type \(type.type.rawValue): \(type.reason)", "no topic model"])
        }
        var attributes = ["topic_guess": p.best.label, "topic_probability": String(format: "%.3f", p.best.probability)]
        attributes["request_type_reason"] = type.reason
        let top = p.top.map { "\($0.label) \(String(format: "%.2f", $0.probability))" }.joined(separator: ", ")
        let topicReason = p.confident ? "topic \(p.best.label) (p=\(String(format: "%.2f", p.best.probability)))" : "topic uncertain, top guesses: \(top)"
        return (p.confident ? p.best.label : nil, type.type.rawValue, attributes, ["type \(type.type.rawValue): \(type.reason)", topicReason])
    }
}

/// The model trained on the project's own example messages: what a fresh local city dispatches with.
enum DefaultTopicModel {
    static let shared: TopicModel? = DefaultTopicExamples.messages.isEmpty ? nil : TopicTrainer().train(DefaultTopicExamples.messages)
}
