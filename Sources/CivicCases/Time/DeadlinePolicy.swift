import CLinuxShims
import Foundation

/// A time limit: a number and its unit.
public struct TimeLimit: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Unit: String, Codable, Sendable, CaseIterable {
        /// Clock hours, nights and holidays included.
        case hours
        /// Hours inside the calendar's working hours on working days.
        case workingHours = "working_hours"
        /// Working days, skipping weekends and holidays (and counting make-up working days).
        case workingDays = "working_days"
        /// Calendar days, weekends and holidays included ("5+2": a limit that does not stretch over weekends).
        case calendarDays = "calendar_days"
    }
    public var value: Double
    public var unit: Unit
    public init(_ value: Double, _ unit: Unit) { self.value = value; self.unit = unit }
    public var description: String { "\(value == value.rounded() ? String(Int(value)) : String(value)) \(unit.rawValue.replacingOccurrences(of: "_", with: " "))" }

    /// When the limit runs out for a clock started at `start`.
    public func due(from start: Date, calendar: WorkCalendar) -> Date {
        switch unit {
        case .hours: return start.addingTimeInterval(value * 3600)
        case .workingHours: return calendar.addingWorkingHours(value, to: start)
        case .workingDays: return calendar.addingWorkingDays(Int(value.rounded(.up)), to: start)
        case .calendarDays: return calendar.addingCalendarDays(Int(value.rounded(.up)), to: start)
        }
    }
}

/// What a case gets: a response limit (签收 within, from dispatch to the unit) and a handling limit (the reply
/// within, from 签收). Rules match on request type, category, channel and urgency; the first match wins, then
/// the default. Part of the topology, so the city owns it and every node has the same one; a case keeps the
/// limits it got (a policy change applies to new cases only).
public struct DeadlinePolicy: Codable, Sendable, Equatable {
    public struct Rule: Codable, Sendable, Equatable {
        public var name: String
        /// Where the figure comes from (a regulation, a city's practice).
        public var source: String?
        public var requestTypes: [String]?
        public var categories: [String]?
        public var channels: [String]?
        /// "urgent" or "normal"; nil: either.
        public var urgency: String?
        public var response: TimeLimit
        public var handling: TimeLimit
        enum CodingKeys: String, CodingKey {
            case name, source, requestTypes = "request_types", categories, channels, urgency, response, handling
        }
        public init(name: String, source: String? = nil, requestTypes: [String]? = nil, categories: [String]? = nil, channels: [String]? = nil,
                    urgency: String? = nil, response: TimeLimit, handling: TimeLimit) {
            self.name = name; self.source = source; self.requestTypes = requestTypes; self.categories = categories
            self.channels = channels; self.urgency = urgency; self.response = response; self.handling = handling
        }

        func matches(_ facts: CaseFacts) -> Bool {
            if let requestTypes, !requestTypes.contains(facts.requestType ?? "") { return false }
            if let categories, !categories.contains(facts.category ?? "") { return false }
            if let channels, !channels.contains(facts.channel) { return false }
            if let urgency, urgency != facts.urgency { return false }
            return true
        }
    }

    /// What the rules look at.
    public struct CaseFacts: Sendable, Equatable {
        public var requestType: String?
        public var category: String?
        public var channel: String
        /// "urgent" or "normal".
        public var urgency: String
        public init(requestType: String?, category: String?, channel: String, urgency: String) {
            self.requestType = requestType; self.category = category; self.channel = channel; self.urgency = urgency
        }
    }

    public var rules: [Rule]
    public var defaultRule: Rule
    /// Words that make a case urgent when the text holds one (燃气, 井盖, 塌陷…).
    public var urgentTerms: [String]
    enum CodingKeys: String, CodingKey { case rules, defaultRule = "default", urgentTerms = "urgent_terms" }

    public init(rules: [Rule], defaultRule: Rule, urgentTerms: [String] = []) {
        self.rules = rules; self.defaultRule = defaultRule; self.urgentTerms = urgentTerms
    }

    /// The first rule that matches, else the default.
    public func rule(for facts: CaseFacts) -> Rule { rules.first { $0.matches(facts) } ?? defaultRule }

    /// "urgent" when the subject or detail names an urgent safety matter (a byte search: a dispatch asks it).
    public func urgency(subject: String, detail: String) -> String {
        for term in urgentTerms where Self.contains(subject, term) || Self.contains(detail, term) { return "urgent" }
        return "normal"
    }

    static func contains(_ text: String, _ term: String) -> Bool {
        var text = text, term = term
        return text.withUTF8 { hay in
            term.withUTF8 { needle in
                guard !needle.isEmpty else { return true }
                guard let h = hay.baseAddress, let n = needle.baseAddress else { return false }
                return civic_memmem(h, hay.count, n, needle.count) != nil
            }
        }
    }

    public func facts(of c: Case) -> CaseFacts {
        CaseFacts(requestType: c.requestType, category: c.category, channel: c.channel.rawValue,
                  urgency: c.attributes["urgency"] ?? urgency(subject: c.subject, detail: c.detail))
    }
}

extension DeadlinePolicy {
    /// A sample written from the seeds and public practice; each rule says where its figures come from.
    public static let sample = DeadlinePolicy(
        rules: [
            Rule(name: "urgent safety matter", source: "12345 practice: gas, a water main, an open or broken manhole cover (井盖), a collapse (塌陷): signed for within 2 hours",
                 urgency: "urgent", response: TimeLimit(2, .hours), handling: TimeLimit(24, .hours)),
            Rule(name: "consultation", source: "consultations are answered within 24 hours (seeds; Beijing's 24 h tier)",
                 requestTypes: ["consultation"], response: TimeLimit(2, .workingHours), handling: TimeLimit(24, .hours)),
            Rule(name: "message board", source: "a message-board reply within 7 working days (seeds)",
                 channels: ["web", "app"], response: TimeLimit(1, .workingDays), handling: TimeLimit(7, .workingDays)),
            Rule(name: "education bureau 5+2", source: "one education bureau answers within 5 days and does not stretch them over weekends (\"5+2\"): 7 calendar days",
                 categories: ["教育"], response: TimeLimit(1, .workingDays), handling: TimeLimit(7, .calendarDays)),
        ],
        // Several departments jointly (3 working days) and very complex matters (5 working days) need co-handling
        // to be told apart; until then they are the default's.
        defaultRule: Rule(name: "one or two departments", source: "a matter for one or two departments within 24 hours (seeds; Beijing's 2 h / 24 h / 7 d / 15 d tiers: signed for within 2 hours)",
                          response: TimeLimit(2, .workingHours), handling: TimeLimit(24, .hours)),
        urgentTerms: ["燃气", "煤气", "井盖", "塌陷", "爆管", "漏气"])
}
