import CivicCases
import CivicNode
import CivicStore
import Foundation
import TestSupport
import Testing

/// `civicmesh backup` against a running node process under intake: a consistent, private, complete copy.
@Suite(.serialized) struct BackupTests {
    @Test(.timeLimit(.minutes(2))) func aBackupOfARunningCityUnderIntakeIsConsistentAndPrivate() throws {
        let city = try ProcessCity(topology: SampleTopology.chain(), label: "backup")
        defer { city.stopAll() }
        try city.startAll()
        #expect(city.waitUntilLinked())
        var acknowledged: [String] = []
        for i in 0..<20 {
            let r = try API.post(city.url("city", "/api/cases"), ["subject": SyntheticCases.subject(i), "division": "990101001", "category": "城乡建设", "channel": "app"])
            if let id = r.string("id") { acknowledged.append(id) }
        }
        // More intake keeps the writer busy while the copy is taken.
        let writer = Thread {
            for i in 20..<80 { _ = try? API.post(city.url("city", "/api/cases"), ["subject": SyntheticCases.subject(i), "division": "990101001", "category": "城乡建设", "channel": "app"]) }
        }
        writer.start()
        let out = city.dir.file("city-backup.sqlite")
        let backup = try CivicProcess(["backup", "--config", city.configPath("city"), "--out", out], log: city.dir.file("backup.log"))
        #expect(backup.wait() == 0 && backup.output.contains("integrity ok"), "\(backup.output)")
        #expect(PrivateFile.openToOthers(out) == nil, "the backup is 0600")
        let copy = try Database(path: out, readOnly: true)
        defer { copy.close() }
        #expect(try copy.queryOne("PRAGMA integrity_check")?.string("integrity_check") == "ok")
        // Complete: every case acknowledged before the backup started is in it, with its events.
        let ids = Set(try copy.query("SELECT id FROM cases").compactMap { $0.string("id") })
        #expect(acknowledged.allSatisfy(ids.contains), "\(acknowledged.filter { !ids.contains($0) })")
        // Consistent: one committed state — every case row has its created event, every event its case.
        #expect(try copy.scalarInt("SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.id)") == 0)
        #expect(try copy.scalarInt("SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)") == 0)
        // A second backup to the same file is refused, naming it; the node kept serving throughout.
        let again = try CivicProcess(["backup", "--config", city.configPath("city"), "--out", out], log: city.dir.file("backup2.log"))
        #expect(again.wait() != 0 && again.output.contains("exists already"), "\(again.output)")
        #expect(try API.get(city.url("city", "/healthz")).status == 200)
    }
}
