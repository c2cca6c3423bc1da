import CivicCases
import CivicTopic
import Foundation

/// A topic model, abstract so that each triage path can be driven in tests; `TopicModel` is the real one.
public protocol TopicPredicting: Sendable {
    func predict(subject: String, detail: String) -> TopicPrediction
}

extension TopicModel: TopicPredicting {}

public struct TriageInput: Sendable {
    public var subject: String
    public var detail: String
    public var address: String?
    public var divisionCode: String?
    /// The topic when the caller already knows it (an operator, an integrator): it decides, not the guess.
    public var category: String?

    public init(subject: String, detail: String, address: String? = nil, divisionCode: String? = nil, category: String? = nil) {
        self.subject = subject
        self.detail = detail
        self.address = address
        self.divisionCode = divisionCode
        self.category = category.flatMap { $0.trimmingWhitespace.isEmpty ? nil : $0.trimmingWhitespace }
    }
}

public struct TriageDecision: Sendable {
    public var place: PlaceDecision
    public var requestType: RequestTypeDecision
    /// The model's guess, also when the topic was given (kept for audit).
    public var topic: TopicPrediction?
    /// The settled topic: given with the input, or guessed confidently; nil when a person must decide.
    public var category: String?
    /// The responsible department, only when place and topic are both certain.
    public var department: String?
    /// One line per decision, for the case's first event.
    public var reasons: [String]
}

/// Automatic dispatch: place, request type, topic and department for a new message, each with its reason.
/// Anything uncertain is left for a person (no department) rather than sent to a wrong unit.
public struct Triage: Sendable {
    public let topology: Topology
    public let gazetteer: Gazetteer
    public let topic: (any TopicPredicting)?
    private let tiers: [String: Tier]

    public init(topology: Topology, topic: (any TopicPredicting)?) {
        self.topology = topology
        self.gazetteer = Gazetteer(topology: topology)
        self.topic = topic
        self.tiers = Dictionary(topology.allNodes.map { ($0.id, $0.tier) }, uniquingKeysWith: { a, _ in a })
    }

    /// Where a message belongs. Without an address, the message itself is the only place evidence
    /// (callers often write it there), and the reason says so.
    public func locate(subject: String, detail: String, address: String?, divisionCode: String?, within scopeId: String?) -> PlaceDecision {
        let hasAddress = !(address ?? "").trimmingWhitespace.isEmpty
        var place = gazetteer.locate(address: hasAddress ? address : subject + "。" + detail, divisionCode: divisionCode, within: scopeId)
        if !hasAddress, (divisionCode ?? "").isEmpty { place.reason = "from the message text: " + place.reason }
        return place
    }

    public func decide(_ input: TriageInput, within scopeId: String?) -> TriageDecision {
        let place = locate(subject: input.subject, detail: input.detail, address: input.address, divisionCode: input.divisionCode, within: scopeId)

        let requestType = RequestTypeClassifier.classify(subject: input.subject, detail: input.detail)
        var reasons = ["place: " + place.reason, "type: " + requestType.reason]

        let guess = topic?.predict(subject: input.subject, detail: input.detail)
        var department: String?
        var category: String?
        if let given = input.category {
            category = given
            reasons.append("topic: \(given) (given at intake)")
            department = departmentLine(for: given, place: place, reasons: &reasons)
        } else if let guess {
            let best = guess.best, percent = (guess.best.probability * 100).fixed(0) + "%"
            if guess.confident {
                category = best.label
                reasons.append("topic: \(best.label) (\(percent))")
                department = departmentLine(for: best.label, place: place, reasons: &reasons)
            } else {
                let top = guess.top.prefix(3).map { $0.label + " " + ($0.probability * 100).fixed(0) + "%" }
                reasons.append("topic: not confident (\(best.label) \(percent)); top guesses \(top.joined(separator: ", ")); no department")
            }
        } else {
            reasons.append("topic: no topic model; no department")
        }
        return TriageDecision(
            place: place, requestType: requestType, topic: guess, category: category, department: department, reasons: reasons)
    }

    /// `catalogue[category][tier]` for the placed unit's tier; appends the reason line.
    private func departmentLine(for category: String, place: PlaceDecision, reasons: inout [String]) -> String? {
        guard let nodeId = place.placedNodeId, let tier = tiers[nodeId] else {
            reasons.append("department: none, the place is not settled")
            return nil
        }
        guard let department = topology.catalogue[category]?[tier.rawValue] else {
            reasons.append("department: none in the catalogue for \(category) at \(tier.rawValue) level")
            return nil
        }
        reasons.append("department: \(department) (catalogue \(category) at \(tier.rawValue) level)")
        return department
    }
}
