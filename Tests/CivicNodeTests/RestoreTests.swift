import CivicCases
@testable import CivicCLI
import CivicNode
import CivicWire
import CivicStore
import Foundation
import TestSupport
import Testing

/// `civicmesh restore` and the resync after it (docs/protocol.md §3.3), with real processes: a district backed up,
/// worked on, killed with SIGKILL, restored from the backup and restarted. Nothing acknowledged is lost mesh-wide
/// (the city and the street hold every case and every state), the links resume without a refused line, and the
/// district says exactly which of its messages it no longer holds — the ranges its peers' figures predict.
@Suite(.serialized) struct RestoreTests {
    static let street = "s990101001", district = "d990101"

    /// city → district → street as processes, linked (the caller stops them).
    private func linkedChain(_ label: String) throws -> ProcessCity {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: label)
        try city.startAll()
        #expect(city.waitUntilLinked())
        return city
    }

    private func intake(_ city: ProcessCity, _ range: Range<Int>) throws -> [String] {
        try range.map { i in
            let r = try API.post(city.url("city", "/api/cases"), ["subject": SyntheticCases.subject(i), "division": "990101001", "category": "城乡建设", "channel": "app"])
            guard r.status == 201, let id = r.string("id") else { throw CocoaError(.coderInvalidValue, userInfo: [NSLocalizedDescriptionKey: "intake \(i): \(r.status) \(r.text)"]) }
            return id
        }
    }

    private func act(_ city: ProcessCity, _ action: String, _ id: String) throws {
        let r = try API.post(city.url(Self.street, "/api/cases/\(id)/\(action)"), action == "resolve" ? ["reply": "已处理，感谢反映"] : [:])
        guard r.status == 200 else { throw CocoaError(.coderInvalidValue, userInfo: [NSLocalizedDescriptionKey: "\(action) \(id): \(r.status) \(r.text)"]) }
    }

    private func link(_ city: ProcessCity, _ node: String, _ side: String, peer: String? = nil) throws -> [String: Any] {
        let status = try API.get(city.url(node, "/status"))
        if side == "parent" { return status.object("parent") ?? [:] }
        return status.array("children")?.first { $0["id"] as? String == peer } ?? [:]
    }

    private func int(_ object: [String: Any], _ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? -1 }

    /// Every outbox of the chain is empty: all traffic so far is applied and acknowledged.
    private func quiet(_ city: ProcessCity) -> Bool {
        eventually(timeout: 20) {
            guard let c = try? link(city, "city", "child", peer: Self.district), let dp = try? link(city, Self.district, "parent"),
                  let dc = try? link(city, Self.district, "child", peer: Self.street), let s = try? link(city, Self.street, "parent") else { return false }
            return [c, dp, dc, s].allSatisfy { int($0, "outbox_depth") == 0 && $0["state"] as? String == "up" }
        }
    }

    @Test(.timeLimit(.minutes(3))) func aDistrictRestoredFromABackupResyncsAndSaysExactlyWhatItLost() throws {
        let city = try linkedChain("restore")
        defer { city.stopAll() }

        // Before the backup: ten cases down to the street, three accepted there.
        let before = try intake(city, 0..<10)
        #expect(eventually(timeout: 20) { ((try? city.cases(at: Self.street)) ?? [:]).count == 10 })
        for id in before.prefix(3) { try act(city, "accept", id) }
        #expect(quiet(city))
        let backup = city.dir.file("district.sqlite")
        let b = try CivicProcess(["backup", "--config", city.configPath(Self.district), "--out", backup], log: city.dir.file("backup.log"))
        #expect(b.wait() == 0, "\(b.output)")
        let inBackup = try Database(path: backup, readOnly: true)
        let backupLinks = Dictionary(uniqueKeysWithValues: try inBackup.query("SELECT peer, next_out, applied_in FROM links").map {
            ($0.string("peer") ?? "", (nextOut: $0.int("next_out") ?? 0, appliedIn: $0.int("applied_in") ?? 0))
        })
        inBackup.close()

        // After the backup: ten more cases, and work at the street on old and new ones (all through the district).
        let after = try intake(city, 10..<20)
        #expect(eventually(timeout: 20) { ((try? city.cases(at: Self.street)) ?? [:]).count == 20 })
        for id in [before[3], before[4], after[0], after[1]] { try act(city, "accept", id) }
        try act(city, "resolve", before[0])
        #expect(quiet(city))
        let cityLink = try link(city, "city", "child", peer: Self.district), streetLink = try link(city, Self.street, "parent")

        let districtDatabase = city.configs[Self.district]!.dataDir + "/node.sqlite"
        let lastEventBeforeTheLoss: Int = try {
            let live = try Database(path: districtDatabase, readOnly: true)
            defer { live.close() }
            return try live.scalarInt("SELECT max(ord) FROM events") ?? 0
        }()
        // The district is lost; its restore is refused while it runs, and another node's backup is refused.
        let running = try CivicProcess(["restore", "--config", city.configPath(Self.district), "--from", backup], log: city.dir.file("restore-running.log"))
        #expect(running.wait() != 0 && running.output.contains("stop it first"), "\(running.output)")
        city.kill9(Self.district)
        let streetBackup = city.dir.file("street.sqlite")
        #expect(try CivicProcess(["backup", "--config", city.configPath(Self.street), "--out", streetBackup], log: city.dir.file("backup-street.log")).wait() == 0)
        let wrong = try CivicProcess(["restore", "--config", city.configPath(Self.district), "--from", streetBackup], log: city.dir.file("restore-wrong.log"))
        #expect(wrong.wait() != 0 && wrong.output.contains("another node's backup"), "\(wrong.output)")
        let garbage = city.dir.file("garbage.sqlite")
        try Data("this is not a database, just text that happens to be long enough to look like a header.".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try CivicProcess(["restore", "--config", city.configPath(Self.district), "--from", garbage], log: city.dir.file("restore-bad.log"))
        #expect(bad.wait() != 0 && bad.output.contains(garbage) && bad.output.contains("not a database"), "\(bad.output)")
        let missing = try CivicProcess(["restore", "--config", city.configPath(Self.district), "--from", garbage + ".nope"], log: city.dir.file("restore-missing.log"))
        #expect(missing.wait() != 0 && missing.output.contains("no backup at"), "\(missing.output)")
        let noFrom = try CivicProcess(["restore", "--config", city.configPath(Self.district)], log: city.dir.file("restore-nofrom.log"))
        #expect(noFrom.wait() != 0 && noFrom.output.contains("--from"), "\(noFrom.output)")
        let restore = try CivicProcess(["restore", "--config", city.configPath(Self.district), "--from", backup], log: city.dir.file("restore.log"))
        #expect(restore.wait() == 0 && restore.output.contains("link city: resyncs"), "\(restore.output)")
        #expect(restore.output.contains("kept at"), "the database it replaced is kept: \(restore.output)")
        // The city is down when the district comes back: what the district queues for it meanwhile is numbered
        // before it knows how far the city got, and must move after the city's number (or the city would drop it
        // as a resend).
        city.kill9("city")
        try city.start(Self.district)
        #expect(eventually(timeout: 20) { (try? link(city, Self.district, "child", peer: Self.street))?["state"] as? String == "up" })
        try act(city, "accept", before[5])
        #expect(eventually(timeout: 20) { ((try? city.cases(at: Self.district)) ?? [:])[before[5]]?.hasPrefix("accepted") == true })
        try city.start("city")
        #expect(city.waitUntilLinked())

        // After the restore: the mesh goes on, on cases the district has, lost and never had.
        let later = try intake(city, 20..<30)
        #expect(eventually(timeout: 20) { ((try? city.cases(at: Self.street)) ?? [:]).count == 30 })
        try act(city, "resolve", after[0])  // a case the district lost: adopted from the street's update
        try act(city, "accept", after[2])
        try act(city, "accept", later[0])
        #expect(quiet(city))

        // Nothing acknowledged is lost mesh-wide: the city and the street agree on every case, and hold all 30.
        let atStreet = try city.cases(at: Self.street), atCity = try city.cases(at: "city"), atDistrict = try city.cases(at: Self.district)
        #expect(atStreet.count == 30 && atCity.count == 30)
        #expect(atStreet == atCity, "\(atStreet.filter { atCity[$0.key] != $0.value })")
        // The district holds what it had at the backup and everything since the restore, and took back the lost
        // cases the street spoke of; the others it lists as lost (below), and the city and the street still hold them.
        #expect((before + later).allSatisfy { atDistrict[$0] != nil }, "\(atDistrict.count) cases at the district")
        for id in [after[0], after[2], later[0]] { #expect(atDistrict[id] == atStreet[id], "\(id): \(atDistrict[id] ?? "missing") vs \(atStreet[id] ?? "")") }
        #expect(atDistrict[after[5]] == nil, "a lost case nobody touched since is not invented")

        // Exactly what was lost, as the peers' figures say, in /status and the log.
        let parent = try link(city, Self.district, "parent"), child = try link(city, Self.district, "child", peer: Self.street)
        func losses(_ l: [String: Any]) -> [String] {
            ((l["restore_losses"] as? [[String: Any]]) ?? []).map { "\($0["direction"] ?? "?") \(int($0, "first_seq"))-\(int($0, "last_seq"))" }
        }
        let expectedParent = ["to_peer \(backupLinks["city"]!.nextOut)-\(int(cityLink, "last_applied_seq"))",
                              "from_peer \(backupLinks["city"]!.appliedIn + 1)-\(int(cityLink, "last_acked_seq"))"]
        let expectedChild = ["to_peer \(backupLinks[Self.street]!.nextOut)-\(int(streetLink, "last_applied_seq"))",
                             "from_peer \(backupLinks[Self.street]!.appliedIn + 1)-\(int(streetLink, "last_acked_seq"))"]
        #expect(losses(parent) == expectedParent, "\(parent)")
        #expect(losses(child) == expectedChild, "\(child)")
        // The city sent ten dispatches after the backup; the street five updates (four accepts, a resolve).
        #expect(int(cityLink, "last_acked_seq") - backupLinks["city"]!.appliedIn == 10)
        #expect(int(streetLink, "last_acked_seq") - backupLinks[Self.street]!.appliedIn == 5)
        #expect(parent["needs_resync"] == nil && child["needs_resync"] == nil)
        // The event stream's ids (the log's rowids) of what the district applied since the restore are above every
        // id it gave out before the loss, so a client resuming from an old id misses none of them.
        let restored = try Database(path: districtDatabase, readOnly: true)
        let backupLast = try Database(path: backup, readOnly: true)
        let sinceBackup = try backupLast.scalarInt("SELECT max(ord) FROM events") ?? 0
        backupLast.close()
        let firstNew = try restored.scalarInt("SELECT min(ord) FROM events WHERE ord > ? AND case_id <> ''", [.integer(Int64(sinceBackup))]) ?? 0
        restored.close()
        #expect(firstNew > lastEventBeforeTheLoss, "\(firstNew) after \(lastEventBeforeTheLoss)")
        // `civicmesh status` says the same in words.
        let report = try WireJSON.decoder().decode(StatusReport.self, from: Data(try API.get(city.url(Self.district, "/status")).text.utf8))
        let said = StatusCommand.render(report)
        #expect(said.contains("restored: messages received from city, seq \(backupLinks["city"]!.appliedIn + 1)…\(int(cityLink, "last_acked_seq")), are not in this node's database (city holds their events)"), "\(said)")
        let metrics = try API.get(city.url(Self.district, "/metrics")).text
        #expect(metrics.contains("civicmesh_link_restore_lost_messages{peer=\"city\",direction=\"parent\"} \(int(cityLink, "last_applied_seq") - backupLinks["city"]!.nextOut + 1 + 10)\n"),
                "\(metrics.split(separator: "\n").filter { $0.contains("restore_lost") })")
        let log = city.log(Self.district)
        #expect(log.contains("link city resynced after the restore: messages sent to the peer, seq"), "\(log.suffix(3000))")
        #expect(log.contains("link \(Self.street) resynced after the restore: messages received from the peer"))
        // Nobody refused a line, and no id was used twice.
        for node in ["city", Self.district, Self.street] {
            let text = city.log(node)
            for problem in ["sequence_gap", "sequence_ahead", "event_id_clash", "resync_refused"] { #expect(!text.contains(problem), "\(node): \(problem)") }
        }
        #expect(int(try link(city, "city", "child", peer: Self.district), "refused_lines") == 0)
        #expect(int(try link(city, Self.street, "parent"), "refused_lines") == 0)
    }

    /// The city numbers its cases and events from its database. Restored, it must never reuse a number it gave
    /// out after the backup: the district holds those cases and events already.
    @Test(.timeLimit(.minutes(2))) func aRestoredCityNeverReusesACaseOrEventNumberItGaveOutAfterTheBackup() throws {
        let city = try linkedChain("restore-city")
        defer { city.stopAll() }
        let first = try intake(city, 0..<3)
        let backup = city.dir.file("city.sqlite")
        #expect(try CivicProcess(["backup", "--config", city.configPath("city"), "--out", backup], log: city.dir.file("backup.log")).wait() == 0)
        let second = try intake(city, 3..<6)
        #expect(quiet(city))
        city.kill9("city")
        let restore = try CivicProcess(["restore", "--config", city.configPath("city"), "--from", backup], log: city.dir.file("restore.log"))
        #expect(restore.wait() == 0, "\(restore.output)")
        try city.start("city")
        #expect(city.waitUntilLinked())
        let third = try intake(city, 6..<9)
        #expect(Set(first + second + third).count == 9, "no case id given twice: \(first) \(second) \(third)")
        #expect(eventually(timeout: 20) { ((try? city.cases(at: Self.street)) ?? [:]).count == 9 })
        let atStreet = try city.cases(at: Self.street)
        #expect((first + second + third).allSatisfy { atStreet[$0] != nil })
        // Each case at the street is the one the city took in under that id (its subject), not a mix of two.
        for (i, id) in (first + second + third).enumerated() {
            let c = try API.get(city.url(Self.street, "/api/cases/\(id)"))
            #expect(c.string("case", "subject") == SyntheticCases.subject(i), "\(id)")
        }
        #expect(!city.log(Self.district).contains("event_id_clash") && !city.log(Self.district).contains("sequence_"))
    }

    /// `civicmesh_link_oldest_unacked_age_seconds`: how long the oldest message to a peer has waited for its
    /// acknowledgement, from memory (no query per scrape).
    @Test(.timeLimit(.minutes(2))) func theOldestUnacknowledgedMessageAgeGrowsWhileAPeerIsDownAndFallsToZero() throws {
        let city = try linkedChain("unacked")
        defer { city.stopAll() }
        func age(_ node: String, _ peer: String, _ direction: String) -> Double? {
            let page = (try? API.get(city.url(node, "/metrics")).text) ?? ""
            let series = "civicmesh_link_oldest_unacked_age_seconds{peer=\"\(peer)\",direction=\"\(direction)\"} "
            return page.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.dropFirst(series.count)) }
        }
        #expect(age(Self.district, Self.street, "child") == 0)
        city.kill9(Self.street)
        _ = try intake(city, 0..<2)
        Thread.sleep(forTimeInterval: 1.5)
        let waiting = age(Self.district, Self.street, "child") ?? 0
        #expect(waiting >= 1 && waiting < 30, "\(waiting)")
        #expect(eventually(timeout: 10) { age("city", Self.district, "child") == 0 }, "the district acknowledged the city's dispatches")
        try city.start(Self.street)
        #expect(eventually(timeout: 20) { age(Self.district, Self.street, "child") == 0 })
    }

    /// One process per data directory: a second node on the same config is refused, naming the lock, and the first
    /// goes on serving.
    @Test(.timeLimit(.minutes(2))) func aSecondNodeOnTheSameDataDirectoryIsRefused() throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "lock")
        defer { city.stopAll() }
        try city.start("city")
        let second = try CivicProcess(["node", "--config", city.configPath("city")], log: city.dir.file("second.log"))
        #expect(second.wait() != 0 && second.output.contains("another civicmesh process is using") && second.output.contains("node.lock"), "\(second.output)")
        #expect(try API.get(city.url("city", "/healthz")).status == 200)
    }
}
