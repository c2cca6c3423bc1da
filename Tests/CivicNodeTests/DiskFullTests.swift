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

    /// A small ext4 filesystem in a file, loop-mounted (where SQLite's memory-mapped WAL index once died of
    /// SIGBUS on restart), or why it cannot be made here.
    static func mountSmallExt4(at path: String, image: String, megabytes: Int) -> String? {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        func run(_ tool: String, _ args: [String]) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return -1 }
            p.waitUntilExit()
            return p.terminationStatus
        }
        guard FileManager.default.createFile(atPath: image, contents: nil), let h = FileHandle(forWritingAtPath: image) else { return "cannot create \(image)" }
        h.truncateFile(atOffset: UInt64(megabytes) << 20)
        h.closeFile()
        guard let mkfs = ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return "no mkfs.ext4 here" }
        guard run(mkfs, ["-q", "-F", image]) == 0 else { return "mkfs.ext4 failed" }
        guard run("/bin/mount", ["-o", "loop", image, path]) == 0 else { return "cannot loop-mount an ext4 image here (needs root and loop devices)" }
        return nil
    }

    static func fill(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        var block = [UInt8](repeating: 0x7A, count: 64 << 10)
        while block.withUnsafeMutableBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var small = [UInt8](repeating: 0x7A, count: 512)
        while small.withUnsafeMutableBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
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
        Self.fill(filler)

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

    @Test func aNodeRestartedOnAFullExt4DiskComesUpAndServesReads() throws {
        let city = try ProcessCity(topology: SampleTopology.load(), label: "diskfull4")
        defer { city.stopAll() }
        let mountPoint = city.dir.path + "/ext4"
        if let why = Self.mountSmallExt4(at: mountPoint, image: city.dir.path + "/ext4.img", megabytes: 8) {
            print("skipped: \(why)")
            return
        }
        defer { Self.unmount(mountPoint) }
        try city.setDataDir("s990101001", mountPoint + "/s990101001")
        try city.start("s990101001")
        var accepted: [String] = []
        for i in 0..<3 {
            let r = try API.post(city.url("s990101001", "/api/cases"), ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i), "category": "城乡建设"])
            accepted += [r.string("id")].compactMap { $0 }
        }
        Self.fill(mountPoint + "/filler")
        for i in 3..<6 { _ = try? API.post(city.url("s990101001", "/api/cases"), ["subject": SyntheticCases.subject(i), "detail": SyntheticCases.detail(i), "category": "城乡建设"]) }
        // A crash with the disk full, then a restart: it used to die of SIGBUS inside SQLite on every start.
        city.kill9("s990101001")
        try city.start("s990101001")
        #expect(try API.get(city.url("s990101001", "/healthz")).status == 200)
        for id in accepted { #expect(try API.get(city.url("s990101001", "/api/cases/\(id)")).status == 200, "\(id) is served after the restart") }
    }
}
