/// Turns the names found in one text into a placement (the text branch of `Gazetteer.locate`).
struct PlaceResolver {
    let gazetteer: Gazetteer
    let scope: Int

    private var units: [Gazetteer.Unit] { gazetteer.units }

    func resolve(_ mentions: [PlaceMention]) -> PlaceDecision {
        // Districts named with a trusted form; weak forms ("城东") only count once a street confirms them.
        var districtWords: [Int: [String]] = [:]
        var weakDistrictWords: [Int: [String]] = [:]
        for m in mentions {
            for t in m.targets where units[t.node].tier == .district {
                if t.strength == .weak { weakDistrictWords[t.node, default: []].append(m.text) }
                else { districtWords[t.node, default: []].append(m.text) }
            }
        }
        // Streets: a weak form ("新村", "中华路") needs its own district named in the same text.
        var streetMentions: [(text: String, targets: [Int])] = []
        var ignoredWeak: [String] = []
        for m in mentions {
            let streets = m.targets.filter { units[$0.node].tier == .street }
            guard !streets.isEmpty else { continue }
            let kept = streets.filter { t in
                t.strength != .weak || units[t.node].district.map { districtWords[$0] != nil } == true
            }.map(\.node)
            if kept.isEmpty { ignoredWeak.append(m.text) } else { streetMentions.append((m.text, kept)) }
        }
        for (d, words) in weakDistrictWords where districtWords[d] == nil {
            if streetMentions.contains(where: { $0.targets.contains { units[$0].district == d } }) { districtWords[d] = words }
        }

        // Keep what lies inside the scope; remember the rest for the reason.
        var outside: [String] = []
        for (d, words) in districtWords where !gazetteer.isWithin(d, scope) {
            // The scope's own district (when the scope is a street) is consistent, just not a placement.
            if !gazetteer.isWithin(scope, d) { outside += words }
            districtWords[d] = nil
        }
        streetMentions = streetMentions.compactMap { m in
            let inside = m.targets.filter { gazetteer.isWithin($0, scope) }
            if inside.isEmpty { outside.append(m.text); return nil }
            return (m.text, inside)
        }
        // A place named outside the scope contradicts it: a person must look, not the scope's dispatcher.
        if !outside.isEmpty {
            return PlaceDecision(
                outcome: .unknown,
                reason: "address names \(unique(outside).joined(separator: ", ")), outside \(units[scope].label)")
        }
        let districts = districtWords.keys.sorted()

        if !streetMentions.isEmpty {
            return decideStreet(streetMentions, districts: districts, districtWords: districtWords)
        }
        switch districts.count {
        case 1:
            let d = districts[0]
            return placed(d, words: unique(districtWords[d]!), note: "; no street named")
        case 0:
            var reason = "no district or street name recognised"
            if !ignoredWeak.isEmpty {
                reason = "only \(unique(ignoredWeak).joined(separator: ", ")) found: too common to trust without its district"
            }
            return PlaceDecision(outcome: .unknown, reason: reason)
        default:
            return ambiguous(districts, because: "several districts named (\(words(districts, districtWords)))")
        }
    }

    private func decideStreet(
        _ mentions: [(text: String, targets: [Int])], districts: [Int], districtWords: [Int: [String]]
    ) -> PlaceDecision {
        let named = Set(districts)
        var candidates = Set<Int>()
        for m in mentions {
            let consistent = named.isEmpty ? m.targets : m.targets.filter { units[$0].district.map(named.contains) == true }
            if consistent.isEmpty {
                let all = Array(Set(m.targets).union(named)).sorted()
                return ambiguous(all, because: "conflict: \(m.text) is not in \(words(districts, districtWords))")
            }
            candidates.formUnion(consistent)
        }
        let streetWords = unique(mentions.map(\.text)).joined(separator: ", ")
        guard candidates.count == 1, let street = candidates.first else {
            return ambiguous(candidates.sorted(), because: "\(streetWords) fits several units")
        }
        let otherDistricts = districts.filter { $0 != units[street].district }
        if !otherDistricts.isEmpty {
            return ambiguous(([street] + otherDistricts).sorted(), because: "street \(streetWords) but also \(words(otherDistricts, districtWords)) named")
        }
        let districtPart = units[street].district.flatMap { districtWords[$0] }.map(unique) ?? []
        return placed(street, words: districtPart + unique(mentions.map(\.text)), note: "")
    }

    private func placed(_ unit: Int, words: [String], note: String) -> PlaceDecision {
        PlaceDecision(
            outcome: .placed(nodeId: units[unit].id),
            reason: "address matched \(words.joined(separator: "→")) (\(units[unit].label))\(note)")
    }

    private func ambiguous(_ candidates: [Int], because: String) -> PlaceDecision {
        let labels = candidates.map { units[$0].label }.joined(separator: ", ")
        return PlaceDecision(
            outcome: .ambiguous(candidates: candidates.map { units[$0].id }.sorted()),
            reason: "\(because): \(labels); not guessed")
    }

    private func words(_ districts: [Int], _ districtWords: [Int: [String]]) -> String {
        districts.map { unique(districtWords[$0] ?? [units[$0].name]).joined(separator: "/") }.joined(separator: ", ")
    }

    private func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }
}
