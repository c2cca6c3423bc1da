import Foundation

/// How a request reached the mesh.
public enum Channel: String, Codable, Sendable, CaseIterable {
    case hotline, web, wechat, app, sms, grid
}

/// Where a case is in its life. Open on purpose: a state this release does not know (one a newer node
/// introduced) is kept as its text, stored and forwarded, counted as "other", and treated as open — so a
/// new state rolls out district by district instead of needing every node upgraded at once.
public struct CaseState: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Waiting in a node's manual-dispatch queue for an operator.
    public static let pending = CaseState("pending")
    /// Sent to a unit, not yet signed for (签收).
    public static let dispatched = CaseState("dispatched")
    /// Signed for by the unit handling it.
    public static let accepted = CaseState("accepted")
    /// Handled; the reply to the citizen is recorded, and the case waits for the citizen's verdict (群众评价).
    public static let resolved = CaseState("resolved")
    /// Over: the citizen was satisfied, gave no verdict in time or could not be reached, or a third-party check
    /// upheld the handling (`closed_as` says which).
    public static let closed = CaseState("closed")
    /// Unsatisfied, and sent to the city's third-party check (第三方核查), whose finding closes or reopens it.
    public static let checking = CaseState("checking")
    /// Sent back (退单) to the parent of the unit that held it, which re-routes it.
    public static let returned = CaseState("returned")

    /// The states this release knows.
    public static let allCases: [CaseState] = [.pending, .dispatched, .accepted, .resolved, .returned, .closed, .checking]
    public static func known(_ raw: String) -> CaseState? { allCases.first { $0.rawValue == raw } }
    public var isKnown: Bool { Self.allCases.contains(self) }

    /// Whether a unit is handling it (or should be): not once it is resolved, checked or closed. A reopened case
    /// (二次办理) is open again.
    public var isOpen: Bool { !Self.notOpen.contains(self) }
    /// The states a case is not open in (queries that filter on the state column name them too).
    public static let notOpen: [CaseState] = [.resolved, .checking, .closed]
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

public struct Citizen: Codable, Sendable, Equatable {
    public var name: String?
    public var phone: String?
    public init(name: String? = nil, phone: String? = nil) {
        self.name = name
        self.phone = phone
    }
}

public struct Location: Codable, Sendable, Equatable {
    public var address: String?
    /// An official division code (district or street) when the caller or the operator knows it.
    public var division: String?
    public init(address: String? = nil, division: String? = nil) {
        self.address = address
        self.division = division
    }
}

/// A case (工单) as every node stores it: the header plus its current state and holder.
/// The history lives in `CaseEvent`s; this is the state after the latest of them.
public struct Case: Codable, Sendable, Equatable {
    public var id: String
    public var channel: Channel
    public var citizen: Citizen
    public var subject: String
    public var detail: String
    public var location: Location
    public var category: String?
    /// Request type (complaint, consultation…), set by triage.
    public var requestType: String?
    /// The node where the case entered the mesh.
    public var intake: String
    public var createdAt: Date
    public var updatedAt: Date
    public var state: CaseState
    /// The node (unit) currently responsible for the case.
    public var holder: String
    /// Free-form attributes later features add without a schema change (deadline class, department…).
    public var attributes: TextMap

    public init(
        id: String, channel: Channel, citizen: Citizen, subject: String, detail: String, location: Location,
        category: String? = nil, requestType: String? = nil, intake: String, createdAt: Date, state: CaseState,
        holder: String, attributes: TextMap = [:]
    ) {
        self.id = id
        self.channel = channel
        self.citizen = citizen
        self.subject = subject
        self.detail = detail
        self.location = location
        self.category = category
        self.requestType = requestType
        self.intake = intake
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.state = state
        self.holder = holder
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey {
        case id, channel, citizen, subject, detail, location, category
        case requestType = "request_type", intake
        case createdAt = "created_at", updatedAt = "updated_at"
        case state, holder, attributes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        channel = try c.decode(Channel.self, forKey: .channel)
        citizen = try c.decodeIfPresent(Citizen.self, forKey: .citizen) ?? Citizen()
        subject = try c.decode(String.self, forKey: .subject)
        detail = try c.decodeIfPresent(String.self, forKey: .detail) ?? ""
        location = try c.decodeIfPresent(Location.self, forKey: .location) ?? Location()
        category = try c.decodeIfPresent(String.self, forKey: .category)
        requestType = try c.decodeIfPresent(String.self, forKey: .requestType)
        intake = try c.decode(String.self, forKey: .intake)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(Date.self, forKey: .updatedAt) ?? createdAt
        state = try c.decode(CaseState.self, forKey: .state)
        holder = try c.decode(String.self, forKey: .holder)
        attributes = try c.decodeIfPresent(TextMap.self, forKey: .attributes) ?? [:]
    }
}
