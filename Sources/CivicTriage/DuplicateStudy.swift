import Foundation

/// Replays a message file through `DuplicateIndex` and reports what it links, for a person to judge.
///
/// Each message (columns id, user, subject, time, detail) becomes a new case in time order, with no
/// place and the user id as the caller's phone; it is first checked against the open cases, then added.
public enum DuplicateStudy {
    public static func run(csvPath: String, threshold: Double = 0.4, sampleSize: Int = 50, seed: UInt64 = 42) -> String {
        let table: CSVReader.Table
        do { table = try CSVReader.read(path: csvPath) } catch { return "duplicate study: \(error)" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"

        struct Message { var id: String; var user: String; var subject: String; var detail: String; var time: Date }
        let messages = table.records.compactMap { r -> Message? in
            guard let id = r["id"], let time = r["time"].flatMap(formatter.date(from:)) else { return nil }
            return Message(id: id, user: r["user"] ?? "", subject: r["subject"] ?? "", detail: r["detail"] ?? "", time: time)
        }.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
        let byId = Dictionary(messages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

        let index = DuplicateIndex(threshold: threshold)
        var links: [(new: String, old: String, match: DuplicateMatch, sameCaller: Bool)] = []
        let started = Date()
        for m in messages {
            let text = m.subject + "。" + m.detail
            let phone = m.user.isEmpty ? nil : m.user
            if let match = index.findDuplicate(text: text, placeId: nil, phone: phone, at: m.time) {
                links.append((m.id, match.caseId, match, phone != nil && byId[match.caseId]?.user == m.user))
            }
            index.add(DuplicateCandidate(caseId: m.id, text: text, placeId: nil, phone: phone, createdAt: m.time))
        }
        let elapsed = Date().timeIntervalSince(started)

        // Connected groups of linked messages.
        var parent: [String: String] = [:]
        func root(_ x: String) -> String {
            var r = x
            while let p = parent[r], p != r { r = p }
            return r
        }
        for link in links {
            let (a, b) = (root(link.new), root(link.old))
            parent[a] = a
            parent[b] = b
            if a != b { parent[a] = b }
        }
        var clusterSizes: [String: Int] = [:]
        for id in parent.keys { clusterSizes[root(id), default: 0] += 1 }
        let clusters = clusterSizes.values.filter { $0 >= 2 }

        var out: [String] = []
        out.append(String(
            format: "duplicate study: %d messages, window %g days, threshold %.2f (unplaced %.2f, same caller %.2f)",
            messages.count, index.window / 86400, threshold, index.unknownPlaceThreshold, index.sameCallerThreshold))
        out.append("links \(links.count) (same caller \(links.filter(\.sameCaller).count)), clusters \(clusters.count), "
            + "largest cluster \(clusters.max() ?? 0), messages in clusters \(clusters.reduce(0, +))")
        out.append(String(format: "replay %.2f s, %.0f µs per message (check + add)", elapsed, elapsed / Double(max(messages.count, 1)) * 1e6))

        var generator = SplitMix(seed: seed)
        var order = Array(links.indices)
        order.shuffle(using: &generator)
        for (n, i) in order.prefix(sampleSize).sorted().enumerated() {
            let link = links[i]
            guard let a = byId[link.new], let b = byId[link.old] else { continue }
            out.append(String(format: "#%02d sim %.2f", n + 1, link.match.similarity) + (link.sameCaller ? " same caller" : ""))
            out.append("   new  \(a.id): \(a.subject) | \(a.detail.prefix(80))")
            out.append("   open \(b.id): \(b.subject) | \(b.detail.prefix(80))")
        }
        return out.joined(separator: "\n")
    }

    /// Deterministic generator so that the sample is the same on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return TextShingles.mix(state)
        }
    }
}
