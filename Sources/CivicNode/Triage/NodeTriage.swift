import CivicCases
import CivicTopic
import CivicTriage
import Foundation

/// The node's routing rules: CivicTriage's gazetteer for places, its request-type rules, and the topic model.
struct NodeTriage: CaseRouting {
    let gazetteer: Gazetteer
    let triage: Triage

    static func make(config: NodeConfig) throws -> NodeTriage {
        let model: TopicModel
        if let path = config.topicModel, !path.isEmpty {
            do { model = try TopicModel.load(from: path) } catch {
                throw ConfigError(file: "-", field: "topic_model", problem: "cannot load \(path): \(error)")
            }
        } else {
            model = DefaultTopicModel.shared
        }
        return NodeTriage(gazetteer: Gazetteer(topology: config.topology),
                          triage: Triage(topology: config.topology, topic: TopicModelAdapter(model: model)))
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
        let input = TriageInput(subject: draft.subject, detail: draft.detail, address: draft.location.address,
                                divisionCode: draft.location.division, phone: draft.citizen.phone,
                                channel: draft.channel.rawValue, at: Date())
        let decision = triage.decide(input, within: nil)
        var attributes: [String: String] = [:]
        if let department = decision.department { attributes["department"] = department }
        var category: String? = nil
        if let topic = decision.topic {
            attributes["topic_guess"] = topic.label
            attributes["topic_probability"] = String(format: "%.3f", topic.probability)
            if topic.confident { category = topic.label }
        }
        return (category, decision.requestType.type.rawValue, attributes, decision.reasons)
    }
}

/// Feeds CivicTopic's model to CivicTriage, which only knows the small `TopicPredicting` protocol.
struct TopicModelAdapter: TopicPredicting {
    let model: TopicModel
    func predictTopic(subject: String, detail: String) -> TopicGuessSummary {
        let p = model.predict(subject: subject, detail: detail)
        return TopicGuessSummary(label: p.best.label, probability: p.best.probability,
                                 top: p.top.map { LabelProbability(label: $0.label, probability: $0.probability) },
                                 confident: p.confident)
    }
}

/// The model trained on the project's own example messages: what a fresh local city dispatches with.
enum DefaultTopicModel {
    static let shared: TopicModel = TopicTrainer().train(DefaultTopicExamples.messages)
}
