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

    /// When a clock started at `start` and running out at `due` has `left` of its time left (0.25: a quarter),
    /// measured as the limit is: working time for working hours and days, clock time otherwise.
    public func warning(from start: Date, due: Date, left: Double, calendar: WorkCalendar) -> Date {
        Self.warning(from: start, due: due, left: left, calendar: unit == .workingHours || unit == .workingDays ? calendar : nil)
    }

    /// The same for a time given as an instant (an extension's new due time, an order's answer-by time): clock
    /// time, or working time when a calendar is given.
    public static func warning(from start: Date, due: Date, left: Double, calendar: WorkCalendar?) -> Date {
        guard due > start else { return due }
        if let calendar {
            let total = calendar.workingHours(from: start, to: due)
            if total > 0 { return min(due, calendar.addingWorkingHours(total * (1 - left), to: start)) }
        }
        return start.addingTimeInterval(due.timeIntervalSince(start) * (1 - left))
    }

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
    /// Warnings, escalation, extensions and supervision orders (分级督办); the defaults when the file says nothing.
    public var supervision: Supervision
    /// How long the city waits for the citizen's verdict, how often it tries to reach them, how often it reopens.
    public var verdicts: Verdicts
    /// The limits of co-handling parts and summonses.
    public var parts: Parts
    enum CodingKeys: String, CodingKey { case rules, defaultRule = "default", urgentTerms = "urgent_terms", supervision, verdicts, parts }

    public init(rules: [Rule], defaultRule: Rule, urgentTerms: [String] = [], supervision: Supervision = Supervision(), verdicts: Verdicts = Verdicts(),
                parts: Parts = Parts()) {
        self.rules = rules; self.defaultRule = defaultRule; self.urgentTerms = urgentTerms; self.supervision = supervision; self.verdicts = verdicts
        self.parts = parts
    }

    /// Co-handling (协办) and summonses (吹哨报到).
    public struct Parts: Codable, Sendable, Equatable {
        /// A co-handling unit signs for its part within this.
        public var response: TimeLimit
        /// …and answers it within this from signing: "several departments jointly, 3 working days" (seeds).
        public var handling: TimeLimit
        /// A summoned department reports within this: 30 minutes in Beijing's original 吹哨报到 pilot.
        public var summonsWithin: TimeLimit
        enum CodingKeys: String, CodingKey { case response, handling, summonsWithin = "summons_within" }
        public init(response: TimeLimit = TimeLimit(2, .workingHours), handling: TimeLimit = TimeLimit(3, .workingDays), summonsWithin: TimeLimit = TimeLimit(0.5, .hours)) {
            self.response = response; self.handling = handling; self.summonsWithin = summonsWithin
        }
        public init(from decoder: any Decoder) throws {
            let d = Parts()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            response = try c.decodeIfPresent(TimeLimit.self, forKey: .response) ?? d.response
            handling = try c.decodeIfPresent(TimeLimit.self, forKey: .handling) ?? d.handling
            summonsWithin = try c.decodeIfPresent(TimeLimit.self, forKey: .summonsWithin) ?? d.summonsWithin
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decode([Rule].self, forKey: .rules)
        defaultRule = try c.decode(Rule.self, forKey: .defaultRule)
        urgentTerms = try c.decodeIfPresent([String].self, forKey: .urgentTerms) ?? []
        supervision = try c.decodeIfPresent(Supervision.self, forKey: .supervision) ?? Supervision()
        verdicts = try c.decodeIfPresent(Verdicts.self, forKey: .verdicts) ?? Verdicts()
        parts = try c.decodeIfPresent(Parts.self, forKey: .parts) ?? Parts()
    }

    /// The citizen's verdict (群众评价) and the return visit (回访).
    public struct Verdicts: Codable, Sendable, Equatable {
        /// A resolved case with no verdict this long after its resolution is closed as not evaluated.
        public var within: TimeLimit
        /// Return visits that may fail to reach the citizen before the case is closed as unreachable.
        public var maxAttempts: Int
        /// How often an unsatisfied verdict reopens the case at its unit; after that it goes to the third-party check.
        public var reopenLimit: Int
        enum CodingKeys: String, CodingKey { case within, maxAttempts = "max_attempts", reopenLimit = "reopen_limit" }
        public init(within: TimeLimit = TimeLimit(7, .calendarDays), maxAttempts: Int = 3, reopenLimit: Int = 1) {
            self.within = within; self.maxAttempts = maxAttempts; self.reopenLimit = reopenLimit
        }
        public init(from decoder: any Decoder) throws {
            let d = Verdicts()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            within = try c.decodeIfPresent(TimeLimit.self, forKey: .within) ?? d.within
            maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? d.maxAttempts
            reopenLimit = try c.decodeIfPresent(Int.self, forKey: .reopenLimit) ?? d.reopenLimit
            guard maxAttempts >= 1 else {
                throw DecodingError.dataCorruptedError(forKey: .maxAttempts, in: c, debugDescription: "max_attempts must be at least 1 (return visits before a case is closed as unreachable)")
            }
            guard reopenLimit >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .reopenLimit, in: c, debugDescription: "reopen_limit must not be negative")
            }
        }
    }

    /// When a unit is warned, escalated, how often it may get more time, and how long it has to answer an order.
    public struct Supervision: Codable, Sendable, Equatable {
        /// A `warned` event when this share of a limit is left (0.25: a quarter of the time).
        public var warnWhenLeft: Double
        /// A case still open this long after its limit ran out is escalated to the holder's parent; as long again
        /// and to the parent's parent.
        public var escalateAfter: TimeLimit
        /// How many extensions (延期) one case may be granted.
        public var maxExtensions: Int
        /// How long the holder has to answer a supervision order (督办单) whose dispatcher named no time.
        public var answerWithin: TimeLimit
        enum CodingKeys: String, CodingKey {
            case warnWhenLeft = "warn_when_left", escalateAfter = "escalate_after", maxExtensions = "max_extensions", answerWithin = "answer_within"
        }
        public init(warnWhenLeft: Double = 0.25, escalateAfter: TimeLimit = TimeLimit(1, .workingDays), maxExtensions: Int = 2,
                    answerWithin: TimeLimit = TimeLimit(1, .workingDays)) {
            self.warnWhenLeft = warnWhenLeft; self.escalateAfter = escalateAfter; self.maxExtensions = maxExtensions; self.answerWithin = answerWithin
        }
        public init(from decoder: any Decoder) throws {
            let d = Supervision()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            warnWhenLeft = try c.decodeIfPresent(Double.self, forKey: .warnWhenLeft) ?? d.warnWhenLeft
            escalateAfter = try c.decodeIfPresent(TimeLimit.self, forKey: .escalateAfter) ?? d.escalateAfter
            maxExtensions = try c.decodeIfPresent(Int.self, forKey: .maxExtensions) ?? d.maxExtensions
            answerWithin = try c.decodeIfPresent(TimeLimit.self, forKey: .answerWithin) ?? d.answerWithin
            guard (0..<1).contains(warnWhenLeft) else {
                throw DecodingError.dataCorruptedError(forKey: .warnWhenLeft, in: c, debugDescription: "warn_when_left must be at least 0 and below 1 (0.25: a quarter of the time left)")
            }
            guard maxExtensions >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .maxExtensions, in: c, debugDescription: "max_extensions must not be negative")
            }
        }
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
        // Several departments jointly (3 working days) is the co-handling parts' handling limit (`parts`); very
        // complex matters (5 working days) are not told apart automatically: a dispatcher grants an extension.
        defaultRule: Rule(name: "one or two departments", source: "a matter for one or two departments within 24 hours (seeds; Beijing's 2 h / 24 h / 7 d / 15 d tiers: signed for within 2 hours)",
                          response: TimeLimit(2, .workingHours), handling: TimeLimit(24, .hours)),
        urgentTerms: ["燃气", "煤气", "井盖", "塌陷", "爆管", "漏气"])
}
