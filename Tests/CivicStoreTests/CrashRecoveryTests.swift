import CivicStore
import Dispatch
import Foundation
import Testing

/// Finds the executable that runs `StoreCrashDrill`: `$CIVICSTORE_CRASH_HELPER`, or the `civicmesh`
/// binary next to the test binary (its internal `store-crash-drill` command).
private enum CrashHelper {
    static let arguments = ["store-crash-drill"]
    static let executable: String? = {
        if let configured = ProcessInfo.processInfo.environment["CIVICSTORE_CRASH_HELPER"],
            FileManager.default.isExecutableFile(atPath: configured)
        {
            return configured
        }
        guard let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // On Linux the runner is `<build>/<Package>PackageTests.xctest`; on macOS a bundle deeper down.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("civicmesh").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()
}

@Suite("Crash recovery")
struct CrashRecoveryTests {
    @Test(
        "every acknowledged write survives SIGKILL",
        .enabled(if: CrashHelper.executable != nil, "civicmesh binary not built"))
    func acknowledgedWritesSurviveSIGKILL() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/crash.sqlite"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(CrashHelper.executable))
            process.arguments = CrashHelper.arguments + [path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let pid = process.processIdentifier
            // Never hang the test run if the helper stalls.
            DispatchQueue.global().asyncAfter(deadline: .now() + 60) { kill(pid, SIGKILL) }

            let killAfter = 2_000
            var text = ""
            var acked = 0
            var killed = false
            while true {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }  // EOF: the helper is gone
                text += String(decoding: chunk, as: UTF8.self)
                acked = text.split(separator: "\n").lazy.filter { $0.hasPrefix("acked ") }.count
                if !killed, acked >= killAfter {
                    kill(pid, SIGKILL)
                    killed = true
                }
            }
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

            // Lines read after the kill were printed before it: those are acknowledgements too.
            let ackedIDs = text.split(separator: "\n").compactMap { line -> Int64? in
                line.hasPrefix("acked ") ? Int64(line.dropFirst("acked ".count)) : nil
            }
            #expect(ackedIDs.count >= killAfter)

            let db = try Database(path: path)
            #expect(try db.queryOne("PRAGMA integrity_check")?[0].string == "ok")
            let stored = Set(try db.query("SELECT id FROM \(StoreCrashDrill.table)").compactMap { $0[0].int64 })
            let lost = ackedIDs.filter { !stored.contains($0) }
            #expect(lost.isEmpty, "acknowledged but missing after SIGKILL: \(lost.prefix(10))")
            #expect(stored.count >= ackedIDs.count)
        }
    }
}
