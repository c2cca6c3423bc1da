import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A node whose disk fills up keeps running: writes are refused with 507 naming the full disk, reads are
/// served, and writing resumes by itself when space returns. Real process, real tmpfs, real ENOSPC.
@Suite(.serialized) struct DiskFullTests {
    /// Mounts a small tmpfs, or says why it cannot (the test is then skipped with that line).
    static func mountSmallFilesystem(at path: String, megabytes: Int) -> String? {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return "cannot run /bin/mount" }
        mount.waitUntilExit()
        return mount.terminationStatus == 0 ? nil : "cannot mount a tmpfs here (mount exited \(mount.terminationStatus); needs root or CAP_SYS_ADMIN)"
    }

    static func unmount(_ path: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/umount")
        p.arguments = ["-l", path]
        try? p.run()
        p.waitUntilExit()
    }

    @Test func aFullDiskRefusesWritesWith507KeepsServingReadsAndRecovers() throws {
        let city = try ProcessCity(topology: SampleTopology.load(), label: "diskfull")
        defer { city.stopAll() }
        let mountPoint = city.dir.path + "/small"
        if let why = Self.mountSmallFilesystem(at: mountPoint, megabytes: 6) {
            print("skipped: \(why)")
            return
        }
        defer { Self.unmount(mountPoint) }
        try city.setDataDir("s990101001", mountPoint + "/s990101001")
        try city.start("s990101001")
        let pid = try #require(city.pid("s990101001"))
        let url = city.url("s990101001", "/api/cases")
        var accepted: [String] = []
        for i in 0..<5 {
            let r = try API.post(url, ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i), "category": "城乡建设"])
            #expect(r.status == 201, "\(r.text)")
            accepted += [r.string("id")].compactMap { $0 }
        }
        // Fill the filesystem to the last byte.
        let filler = mountPoint + "/filler"
        let fd = open(filler, O_CREAT | O_WRONLY, 0o600)
        let block = [UInt8](repeating: 0x7A, count: 64 << 10)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var small = [UInt8](repeating: 0x7A, count: 512)
        while small.withUnsafeMutableBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)

        var refused: JSONResponse?
        for i in 5..<400 {
            let r = try API.post(url, ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i) + String(repeating: "满", count: 2000), "category": "城乡建设"])
            if r.status == 201 { accepted += [r.string("id")].compactMap { $0 }; continue }
            refused = r
            break
        }
        let full = try #require(refused, "the disk filled up")
        #expect(full.status == 507 && full.string("error", "code") == "storage_full", "\(full.text)")
        #expect(full.string("error", "message")?.contains("disk is full") == true)
        #expect(city.pid("s990101001") == pid && kill(pid, 0) == 0, "the node is still the same running process")
        #expect(try API.get(city.url("s990101001", "/healthz")).status == 200)
        for id in accepted { #expect(try API.get(city.url("s990101001", "/api/cases/\(id)")).status == 200, "reads are served: \(id)") }
        #expect(try API.post(city.url("s990101001", "/api/cases/\(accepted[0])/progress"), ["note": String(repeating: "满", count: 1900)]).status == 507)

        // Space returns: writing resumes by itself.
        try FileManager.default.removeItem(atPath: filler)
        let again = try API.post(url, ["subject": "空间恢复后的工单", "category": "城乡建设"])
        #expect(again.status == 201, "\(again.text)")
        #expect(city.pid("s990101001") == pid && kill(pid, 0) == 0)
        #expect(city.log("s990101001").contains("storage refused a write"), "the log says why writes fail")
        // Nothing accepted was lost, also across a restart.
        city.kill9("s990101001")
        try city.start("s990101001")
        for id in accepted + [again.string("id") ?? "?"] {
            #expect(try API.get(city.url("s990101001", "/api/cases/\(id)")).status == 200, "\(id) survived")
        }
    }
}
