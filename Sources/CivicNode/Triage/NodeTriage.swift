import CivicCases
import CivicTopic
import CivicTriage
import Foundation

/// The node's routing rules: CivicTriage (gazetteer, request type, topic, department catalogue) fed with
/// CivicTopic's model.
struct NodeTriage: CaseRouting {
    let triage: Triage

    static func make(config: NodeConfig) throws -> NodeTriage {
        var loaded: TopicModel?
        if let path = config.topicModel, !path.isEmpty {
            // An explicit model is loaded at start, so a bad path stops the node right away.
            do { loaded = try TopicModel.load(from: path) } catch {
                throw ConfigError(file: "-", field: "topic_model", problem: "cannot load \(path): \(error)")
            }
        }
        var model = loaded ?? defaultTopicModel
        if let threshold = config.topicThreshold { model = model.withThreshold(threshold) }
        return NodeTriage(triage: Triage(topology: config.topology, topic: model))
    }

    func place(_ c: Case, within scope: TopologyNode) -> Placement {
        handled(triage.locate(subject: c.subject, detail: c.detail, address: c.location.address, divisionCode: c.location.division, within: scope.id).placement,
                category: c.category, within: scope)
    }

    /// Where `handled_at` sends the topic: to a department of the placed unit's district (or of the city), when
    /// that unit is in this node's subtree.
    func handled(_ placement: Placement, category: String?, within scope: TopologyNode) -> Placement {
        guard let category, let placed = placement.target, let handler = triage.topology.handlingUnit(for: category, placedAt: placed),
              scope.contains(handler.unit) else { return placement }
        var p = placement
        p.target = handler.unit
        p.department = handler.department
        if handler.unit != placed { p.reason += "; \(category) is handled by \(handler.department) of \(handler.unit)" }
        return p
    }

    func unit(_ id: String) -> TopologyNode? { triage.topology.find(id) }

    func department(for category: String, at unit: String) -> String? {
        guard let tier = triage.topology.find(unit)?.tier else { return nil }
        return triage.topology.catalogue[category]?[tier.rawValue]
    }

    func analyse(_ draft: CaseDraft, within scope: TopologyNode) -> IntakeAnalysis {
        let input = TriageInput(subject: draft.subject, detail: draft.detail, address: draft.location.address,
                                divisionCode: draft.location.division, category: draft.category)
        let decision = triage.decide(input, within: scope.id)
        // Every decision goes into the first event (place, type, topic, department); routing adds its own line.
        var analysis = IntakeAnalysis(category: decision.category, requestType: decision.requestType.type.rawValue, reasons: decision.reasons)
        analysis.placement = handled(decision.place.placement, category: decision.category, within: scope)
        if let department = analysis.placement?.department { analysis.attributes["department"] = department }
        if analysis.attributes["department"] == nil, let department = decision.department { analysis.attributes["department"] = department }
        if let topic = decision.topic {
            analysis.attributes["topic_guess"] = topic.best.label
            analysis.attributes["topic_probability"] = topic.best.probability.fixed(3)
            if decision.category == nil, !triage.topology.catalogue.isEmpty {
                // The topic picks the department; when unsure, a person decides (自动交办 only when sure).
                analysis.uncertainTopics = topic.top.prefix(3).map { "\($0.label) \(($0.probability * 100).fixed(0))%" }
            }
        }
        return analysis
    }
}

/// The model trained on the project's own example messages: what a fresh local city dispatches with.
/// Trained on first use (once per process), so nodes that never take intake — districts — never pay for it.
let defaultTopicModel = TopicTrainer().train(DefaultTopicExamples.messages)
