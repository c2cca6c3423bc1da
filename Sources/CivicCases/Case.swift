import Foundation

/// How a request reached the mesh.
public enum Channel: String, Codable, Sendable, CaseIterable {
    case hotline, web, wechat, app, sms, grid
}

/// Where a case is in its life. Later work adds states (closed, reopened…) as new cases,
/// and old nodes treat an unknown state as opaque text they store and forward.
public enum CaseState: String, Codable, Sendable, CaseIterable {
    /// Waiting in a node's manual-dispatch queue for an operator.
    case pending
    /// Sent to a unit, not yet signed for (签收).
    case dispatched
    /// Signed for by the street handling it.
    case accepted
    /// Handled; the reply to the citizen is recorded.
    case resolved
    /// Sent back (退单) to the parent of the unit that held it, which re-routes it.
    case returned

    public var isOpen: Bool { self != .resolved }
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
    /// Open case this one repeats, when intake linked it instead of dispatching it again.
    public var duplicateOf: String?
    /// Free-form attributes later features add without a schema change (deadline class, department…).
    public var attributes: [String: String]

    public init(
        id: String, channel: Channel, citizen: Citizen, subject: String, detail: String, location: Location,
        category: String? = nil, requestType: String? = nil, intake: String, createdAt: Date, state: CaseState,
        holder: String, duplicateOf: String? = nil, attributes: [String: String] = [:]
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
        self.duplicateOf = duplicateOf
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey {
        case id, channel, citizen, subject, detail, location, category
        case requestType = "request_type", intake
        case createdAt = "created_at", updatedAt = "updated_at"
        case state, holder, duplicateOf = "duplicate_of", attributes
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
        duplicateOf = try c.decodeIfPresent(String.self, forKey: .duplicateOf)
        attributes = try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
    }
}
