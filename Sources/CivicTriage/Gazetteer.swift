import CivicCases
import Foundation

/// Recognises districts and streets in an address (or a division code) and places a message on
/// the deepest unit the words support — or says it cannot, rather than guess.
///
/// Rules, in order:
/// 1. A division code wins: the unit with that code (9- or 12-digit street codes, 6-digit district codes).
/// 2. Otherwise names in the text, longest match first and non-overlapping (see `PlaceNames` for the
///    forms). A street consistent with any district named → that street; only a district → that district.
/// 3. A name that fits several units, a street that contradicts the district named, or two districts
///    → `ambiguous`; nothing usable → `unknown`.
public struct Gazetteer: Sendable {
    struct Unit: Sendable {
        var id: String
        var tier: Tier
        var name: String
        var parent: Int?
        /// The district this unit lies in (itself for a district), nil for the city.
        var district: Int?
        /// "江岸区/大智街道", for reasons.
        var label: String
    }

    let units: [Unit]
    let indexById: [String: Int]
    let indexByCode: [String: Int]
    let names: PlaceNameIndex

    public init(topology: Topology) {
        var units: [Unit] = []
        var forms: [(node: Int, form: PlaceNameForm)] = []
        var byCode: [String: Int] = [:]
        var byId: [String: Int] = [:]
        let cityStem = topology.root.name.hasSuffix("市") ? String(topology.root.name.dropLast()) : topology.root.name

        func register(_ node: TopologyNode, parent: Int?, district: Int?, label: String) -> Int {
            let index = units.count
            units.append(Unit(id: node.id, tier: node.tier, name: node.name, parent: parent, district: district, label: label))
            byId[node.id] = index
            for code in node.codes { byCode[code] = index }
            return index
        }
        let root = register(topology.root, parent: nil, district: nil, label: topology.root.name)
        let districtForms = topology.root.children.map { PlaceNames.districtForms($0) }
        let reserved = Set(districtForms.flatMap { $0.map(\.text) } + [topology.root.name, cityStem])
        for (district, dForms) in zip(topology.root.children, districtForms) {
            let d = register(district, parent: root, district: nil, label: district.name)
            units[d].district = d
            forms += dForms.map { (d, $0) }
            let stems = dForms.filter { $0.strength != .full }.map(\.text)
            let prefixes = [cityStem] + stems + stems.map { $0 + "经济开发区" }
            for street in district.allNodes.dropFirst() {
                let s = register(street, parent: byId[district.id], district: d, label: district.name + "/" + street.name)
                let siblings = district.children.map(\.name).filter { $0 != street.name }
                forms += PlaceNames.streetForms(street, prefixes: prefixes + siblings, reserved: reserved).map { (s, $0) }
            }
        }
        // Child nodes under streets (none today) keep their parent street as parent.
        for i in units.indices where units[i].tier == .street {
            if let p = units[i].parent, units[p].tier == .street { units[i].district = units[p].district }
        }
        self.units = units
        self.indexById = byId
        self.indexByCode = byCode
        self.names = PlaceNameIndex(forms: forms, stopPhrases: PlaceNames.stopPhrases)
    }

    /// Number of distinct written forms indexed (for diagnostics).
    public var formCount: Int { names.formCount }

    public func locate(address: String?, divisionCode: String?, within scopeId: String? = nil) -> PlaceDecision {
        var scope = 0
        if let scopeId {
            guard let s = indexById[scopeId] else {
                return PlaceDecision(outcome: .unknown, reason: "scope \(scopeId) is not a unit of this topology")
            }
            scope = s
        }
        if let code = divisionCode?.trimmingWhitespace, !code.isEmpty {
            return locate(code: code, scope: scope)
        }
        guard let address, !address.trimmingWhitespace.isEmpty else {
            return PlaceDecision(outcome: .unknown, reason: "no address and no division code given")
        }
        return PlaceResolver(gazetteer: self, scope: scope).resolve(names.scan(address))
    }

    private func locate(code: String, scope: Int) -> PlaceDecision {
        // Official codes come as 6 (district), 9 (street) or 12 digits padded with zeros.
        var key = code
        while indexByCode[key] == nil {
            if key.count > 6, key.hasSuffix("000") { key.removeLast(3) }
            else if key.count == 6, key.hasSuffix("00") { key.removeLast(2) }
            else { return PlaceDecision(outcome: .unknown, reason: "division code \(code) is not a unit of this topology") }
        }
        let unit = indexByCode[key]!
        guard isWithin(unit, scope) else {
            return PlaceDecision(
                outcome: .unknown,
                reason: "division code \(code) is \(units[unit].label), outside \(units[scope].label)")
        }
        return PlaceDecision(outcome: .placed(nodeId: units[unit].id), reason: "division code \(code) → \(units[unit].label)")
    }

    func isWithin(_ unit: Int, _ scope: Int) -> Bool {
        var current: Int? = unit
        while let c = current {
            if c == scope { return true }
            current = units[c].parent
        }
        return false
    }
}
