import CivicNode
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// `civicmesh up` as a user runs it: a whole city of processes, mesh.json, clean stop, resume on rerun.
@Suite(.serialized) struct UpCommandTests {
    /// A base port with the 24 ports the sample city needs all free.
    func freeBase() -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000...29_900) & ~1  // below the ephemeral range and below the bench smoke test's 30,000 and up
            if (0..<24).allSatisfy({ portIsFree(base + $0) }) { return base }
        }
        return 24_000
    }

    func portIsFree(_ port: Int) -> Bool { (try? API.get("http://127.0.0.1:\(port)/healthz")) == nil }

    func runUp(_ dir: TempDirectory, base: Int, run: Int) throws -> CivicProcess {
        let p = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base)], log: dir.file("up\(run).log"))
        #expect(eventually(timeout: 60) { p.output.contains("CivicMesh is up") || !p.isRunning }, "up reports success: \(p.output)")
        return p
    }

    @Test(.timeLimit(.minutes(3))) func upRunsTheSampleCityStopsCleanlyAndResumes() throws {
        let dir = TempDirectory("up")
        let base = freeBase()
        let first = try runUp(dir, base: base, run: 1)
        #expect(first.output.contains("http://127.0.0.1:\(base)/status"))
        let meshData = try Data(contentsOf: URL(fileURLWithPath: dir.file("city/mesh.json")))
        let mesh = try #require(try JSONSerialization.jsonObject(with: meshData) as? [String: Any])
        let nodes = try #require(mesh["nodes"] as? [[String: Any]])
        #expect(nodes.count == 12)
        #expect(nodes.filter { $0["tier"] as? String == "street" }.allSatisfy { $0["parent"] as? String != nil && $0["http"] as? String != nil })
        let city = "http://127.0.0.1:\(base)"
        // up made an admin token per node, in a file only its owner can read.
        let tokensPath = dir.file("city/tokens.json")
        #expect(PrivateFile.openToOthers(tokensPath) == nil)
        let tokens = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tokensPath))) as? [String: String])
        #expect(tokens.count == 12)
        #expect(try API.get(city + "/status", token: "").status == 401, "no token, no status")
        let status = try API.get(city + "/status", token: tokens["city"])
        #expect(status.status == 200 && (status.array("children") ?? []).count == 3 && (status.array("children") ?? []).allSatisfy { $0["state"] as? String == "up" })
        // The CLI finds the token itself when run from the folder of the up (the README's quick start).
        let submit = try CivicProcess(["submit", "--subject", "路灯不亮", "--address", "南山区青石街道", "--url", city, "--data", dir.file("city")], log: dir.file("submit.log"))
        #expect(submit.wait() == 0, "\(submit.output)")
        let created = try API.post(city + "/api/cases", ["subject": "重启之后还在吗", "address": "南山区青石街道"], token: tokens["city"])
        let id = try #require(created.string("id"))

        first.terminate()
        #expect(first.process.terminationStatus == 0)
        #expect(eventually(timeout: 15) { (0..<24).allSatisfy { portIsFree(base + $0) } }, "every node stopped")

        let second = try runUp(dir, base: base + 2, run: 2)  // configs are reused: the ports stay those of the first run
        let again = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tokensPath))) as? [String: String])
        #expect(again == tokens, "the tokens of the first run are kept")
        #expect(try API.get(city + "/api/cases/\(id)", token: tokens["city"]).status == 200, "the second run resumes the same data")
        second.terminate()
    }
}

/// The sample city under `up --speed`, as a person would watch it: a case nobody signs for goes warned →
/// overdue → escalated to its district → escalated to the city, each once, within seconds.
@Suite(.serialized) struct UpSpeedTests {
    @Test(.timeLimit(.minutes(3))) func anUnsignedCaseRunsThroughEveryEscalationAtSpeed() throws {
        let dir = TempDirectory("upspeed")
        let base = UpCommandTests().freeBase()
        let up = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base), "--speed", "20000"], log: dir.file("up.log"))
        defer { up.terminate() }
        #expect(eventually(timeout: 60) { up.output.contains("CivicMesh is up") || !up.isRunning }, "\(up.output)")
        let tokens = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("city/tokens.json")))) as? [String: String])
        let city = "http://127.0.0.1:\(base)"
        let created = try API.post(city + "/api/cases", ["subject": "路灯不亮", "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"], token: tokens["city"])
        let id = try #require(created.string("id"), "\(created.text)")
        func timeline() -> [String] {
            let history = ((try? API.get(city + "/api/cases/\(id)", token: tokens["city"]).array("history")) ?? nil) ?? []
            return history.compactMap { e in
                guard let action = e["action"] as? String, ["warned", "overdue", "escalated"].contains(action) else { return nil }
                return "\(action)@\(e["node"] as? String ?? "")"
            }
        }
        let expected = ["warned@s990101001", "overdue@s990101001", "escalated@d990101", "escalated@city"]
        #expect(eventually(timeout: 90, interval: 0.5) { timeline() == expected }, "\(timeline())")
        // The district's supervision list and the city's figures show it.
        let districtToken = tokens["d990101"]
        let list = try API.get("http://127.0.0.1:\(base + 2)/api/cases?supervised=true", token: districtToken)
        #expect(list.array("cases")?.map { $0["id"] as? String } == [id], "\(list.text)")
        let figures = try API.get(city + "/status", token: tokens["city"]).object("deadlines", "subtree")
        #expect(figures?["escalated"] as? Int == 1 && figures?["escalated_total"] as? Int == 2, "\(figures ?? [:])")
    }
}

/// `up` when a node cannot start, when it is stopped at any moment, and across many restarts.
@Suite(.serialized) struct UpSupervisionTests {
    func freeBase() -> Int { UpCommandTests().freeBase() }

    func openFDs(_ pid: Int32) -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }

    @Test func aBadBasePortIsRefusedAtOnce() throws {
        let dir = TempDirectory("upport")
        let p = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", "70000"], log: dir.file("up.log"))
        #expect(p.wait() == 2 && p.output.contains("--base-port 70000"), "\(p.output)")
    }

    @Test(.timeLimit(.minutes(2))) func aNodeWithAnInvalidConfigStopsUpWithItsReason() throws {
        let dir = TempDirectory("upbad")
        let base = freeBase()
        let first = try UpCommandTests().runUp(dir, base: base, run: 1)
        first.terminate()
        // Break one street's config: `up` reuses the configs it wrote.
        let path = dir.file("city/configs/s990103002.json")
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        o["heartbeat_timeout"] = 0.1
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
        let second = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base)], log: dir.file("up2.log"))
        #expect(second.wait() == 2, "\(second.output)")
        #expect(second.output.contains("s990103002.json") && second.output.contains("heartbeat_timeout"), "up checks every config before starting: \(second.output)")
        // A problem only the node finds when it starts (a topic model it cannot load) also exits 2: not restarted.
        var p = try JSONSerialization.jsonObject(with: good) as! [String: Any]
        p["topic_model"] = dir.file("no-such.model")
        try JSONSerialization.data(withJSONObject: p).write(to: URL(fileURLWithPath: path))
        let third = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base)], log: dir.file("up3.log"))
        #expect(third.wait() == 2, "\(third.output)")
        #expect(third.output.contains("node s990103002 exited with status 2") && third.output.contains("topic_model"), "\(third.output)")
        #expect(!third.output.contains("restarting"), "a config error is not restarted: \(third.output)")
    }

    @Test(.timeLimit(.minutes(2))) func aNodeThatCannotBindIsRestartedWithBackoffAndItsReasonAndCtrlCStopsUpAtOnce() throws {
        let dir = TempDirectory("upbind")
        let base = freeBase()
        // The sample city's last street (node 11) would take HTTP base+22: hold that port.
        let blocker = try BlockingListener(port: base + 22)
        defer { blocker.close() }
        let up = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base), "--timeout", "120"], log: dir.file("up.log"))
        #expect(eventually(timeout: 30) { up.output.contains("restarting in 2s") }, "backoff doubles: \(up.output)")
        #expect(up.output.contains("Address already in use"), "the reason from the node's log is on the terminal: \(up.output)")
        let asked = Date()
        kill(up.pid, SIGINT)
        let status = up.wait()
        #expect(status == 0 && Date().timeIntervalSince(asked) < 12, "Ctrl-C while waiting for links stops up at once (\(Date().timeIntervalSince(asked))s)")
    }

    @Test(.timeLimit(.minutes(3))) func restartsLeakNoFileDescriptors() throws {
        let dir = TempDirectory("upfds")
        let base = freeBase()
        let up = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base), "--restart-delay", "0.1"], log: dir.file("up.log"))
        defer { up.terminate() }
        #expect(eventually(timeout: 60) { up.output.contains("CivicMesh is up") })
        let mesh = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("city/mesh.json")))) as! [String: Any]
        let street = try #require((mesh["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "s990101001" })
        let url = "http://\(street["http"] as! String)/healthz"
        func streetPid() -> Int32? {
            let out = (try? String(contentsOfFile: "/proc/\(up.pid)/task/\(up.pid)/children", encoding: .utf8)) ?? ""
            return out.split(separator: " ").compactMap { Int32($0) }.first { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("s990101001.json")
            }
        }
        var before = -1
        for round in 0..<6 {
            #expect(eventually(timeout: 40) { (try? API.get(url).status) == 200 && streetPid() != nil }, "round \(round): the street is back")
            if round == 1 { before = openFDs(up.pid) }  // after one restart, so Foundation's one-time descriptors are counted
            if let pid = streetPid() { kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(eventually(timeout: 40) { (try? API.get(url).status) == 200 })
        // A restart holds a descriptor or two for a moment while the child starts: let it settle.
        _ = eventually(timeout: 5) { openFDs(up.pid) <= before + 1 }
        let after = openFDs(up.pid)
        let links = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(up.pid)/fd"))?.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(up.pid)/fd/\($0)") } ?? []
        #expect(before > 0 && after <= before + 1, "up's open descriptors: \(before) after 1 restart, \(after) after 5 more: \(links.sorted())")
    }
}

/// A listening socket that holds a port (so a node cannot bind it).
final class BlockingListener {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { Glibc.close(fd); throw CocoaError(.fileWriteUnknown) }
    }
    func close() { Glibc.close(fd) }
}

@Suite struct StartOrderTests {
    @Test func aNodeThatCannotBindNeverDialsItsParent() throws {
        let city = try ProcessCity(topology: SampleTopology.load(), label: "bindfirst")
        defer { city.stopAll() }
        // The street's parent is played by a bare listener that counts connections; its HTTP port is taken.
        let fakeParentPort = freePort()
        let fakeParent = try BlockingListener(port: fakeParentPort)
        defer { fakeParent.close() }
        let path = city.configPath("s990101001")
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        o["parent_address"] = "127.0.0.1:\(fakeParentPort)"
        let http = freePort()
        o["http_listen"] = "127.0.0.1:\(http)"
        try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
        let taken = try BlockingListener(port: http)
        defer { taken.close() }
        let node = try CivicProcess(["node", "--config", path], log: city.dir.file("street.log"))
        #expect(node.wait() == 1, "\(node.output)")
        #expect(node.output.contains("Address already in use"), "\(node.output)")
        #expect(!fakeParent.hasPendingConnection(), "the node failed before dialling its parent")
    }

    @Test func upWarnsWhenItsPortsFallInTheEphemeralRange() throws {
        guard let range = UpCommandRange.ephemeral() else { print("skipped: /proc/sys/net/ipv4/ip_local_port_range is not readable"); return }
        let dir = TempDirectory("upephemeral")
        let base = min(range.upperBound - 4, 65_536 - 24) & ~1
        let up = try CivicProcess(["up", "--data", dir.file("city"), "--base-port", String(base), "--timeout", "5"], log: dir.file("up.log"))
        #expect(eventually(timeout: 20) { up.output.contains("ephemeral range") }, "\(up.output)")
        kill(up.pid, SIGINT)
        _ = up.wait()
    }
}

enum UpCommandRange {
    static func ephemeral() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        return parts.count == 2 && parts[0] <= parts[1] ? parts[0]...parts[1] : nil
    }
}

extension BlockingListener {
    /// Whether a client has connected (and waits in the accept queue).
    func hasPendingConnection() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 200) > 0
    }
}
