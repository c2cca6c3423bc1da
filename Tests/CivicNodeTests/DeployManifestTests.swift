import CivicCases
import CivicNode
import Foundation
import TestSupport
import Testing

/// The systemd unit, checked by systemd's own `systemd-analyze verify` (and its security score), and the
/// Kubernetes manifests, checked for what kubectl would refuse and for agreement with the configs they mount:
/// kubectl's own dry run needs an API server, which this machine does not have.
@Suite struct DeployManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let dir = TempDirectory("manifests")

    func run(_ command: String) throws -> (Int32, String) {
        let output = dir.file("command-\(UUID().uuidString.prefix(8)).out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "(\(command)) > \(output) 2>&1"]
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func theSystemdUnitPassesSystemdAnalyzeAndIsHardened() throws {
        let unit = try String(contentsOfFile: Self.root + "/deploy/systemd/civicmesh@.service", encoding: .utf8)
        for setting in ["DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=civicmesh/%i", "NoNewPrivileges=yes", "Restart=on-failure",
                        "RestartPreventExitStatus=2", "LoadCredential=config:/etc/civicmesh/%i.json", "KillSignal=SIGTERM"] {
            #expect(unit.contains("\n" + setting + "\n"), "the unit sets \(setting)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), let binary = CivicMeshBinary.path else {
            print("DeployManifestTests: skipping systemd-analyze: not installed here (apt-get install -y systemd)")
            return
        }
        // The unit as installed, pointing at the binary this test built (verify checks that ExecStart exists).
        try unit.replacingOccurrences(of: "/usr/local/bin/civicmesh", with: binary).write(toFile: dir.file("civicmesh@.service"), atomically: true, encoding: .utf8)
        let (status, said) = try run("cd \(dir.path) && systemd-analyze verify ./civicmesh@city.service")
        // verify exits 0 on settings it ignores; what it says about the unit is the finding.
        #expect(status == 0 && !said.contains("civicmesh@"), "systemd-analyze verify: \(said)")
        let (_, security) = try run("cd \(dir.path) && systemd-analyze security --offline=yes ./civicmesh@city.service")
        let score = security.components(separatedBy: "Overall exposure level for civicmesh@city.service: ").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect((score ?? 10) <= 2.5, "exposure \(String(describing: score)) (0 best, 10 worst): \(security.suffix(300))")
    }

    @Test func theKubernetesManifestsAreGeneratedAndAgreeWithTheConfigsTheyMount() throws {
        let committed = try String(contentsOfFile: Self.root + "/deploy/k8s/civicmesh.json", encoding: .utf8)
        #expect(committed == (try KubernetesGenerator.json(for: SampleTopology.load())), "deploy/k8s/civicmesh.json is out of step: run `civicmesh topology compose`")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(committed.utf8)) as? [String: Any])
        #expect(list["apiVersion"] as? String == "v1" && list["kind"] as? String == "List")
        let items = try #require(list["items"] as? [[String: Any]])
        let dockerfile = try String(contentsOfFile: Self.root + "/deploy/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("--uid \(KubernetesGenerator.nodeUser)"), "the image's user is the pods' runAsUser")
        let services = Dictionary(uniqueKeysWithValues: items.filter { $0["kind"] as? String == "Service" }.map { (($0["metadata"] as? [String: Any])?["name"] as? String ?? "", $0) })
        let sets = items.filter { $0["kind"] as? String == "StatefulSet" }
        #expect(sets.count == SampleTopology.load().allNodes.count && services.count == sets.count)
        let dns1123 = try Regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
        for set in sets {
            func at(_ path: String...) -> Any? { path.reduce(set as Any?) { ($0 as? [String: Any])?[$1] } }
            let name = try #require(at("metadata", "name") as? String)
            #expect(name.wholeMatch(of: dns1123) != nil && name.count <= 63, "\(name) is a valid object name")
            #expect(at("apiVersion") as? String == "apps/v1" && at("spec", "serviceName") as? String == name && services[name] != nil)
            let selector = try #require(at("spec", "selector", "matchLabels") as? [String: String])
            let labels = try #require(at("spec", "template", "metadata", "labels") as? [String: String])
            #expect(selector.allSatisfy { labels[$0.key] == $0.value }, "\(name): the selector matches the pod template")
            let spec = try #require(at("spec", "template", "spec") as? [String: Any])
            let container = try #require((spec["containers"] as? [[String: Any]])?.first)
            let ports = Dictionary(uniqueKeysWithValues: (container["ports"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["containerPort"] as? Int ?? 0) })
            let probe = try #require((container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any])
            #expect(probe["path"] as? String == "/healthz" && ports[probe["port"] as? String ?? ""] != nil, "\(name): readiness on /healthz at a named port")
            // Every mount has its volume (or claim), and the config and secret keys exist.
            let volumes = (spec["volumes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                + ((at("spec", "volumeClaimTemplates") as? [[String: Any]]) ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
            let mounts = ((spec["initContainers"] as? [[String: Any]] ?? []) + [container]).flatMap { $0["volumeMounts"] as? [[String: Any]] ?? [] }
            for mount in mounts { #expect(volumes.contains(mount["name"] as? String ?? ""), "\(name): mount \(mount) has a volume") }
            // The config it mounts is the compose one for this node, and listens on the ports the pod declares.
            let config = try NodeConfig.load(path: Self.root + "/deploy/config/\(name).json", environment: ["CIVICMESH_SECRETS_FILE": writeSecrets(for: name)])
            #expect(config.id == name && config.httpListen.hasSuffix(":\(ports["http"] ?? -1)") && config.meshListen.hasSuffix(":\(ports["mesh"] ?? -1)"))
            let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.root + "/deploy/config/\(name).json"))) as? [String: Any]
            #expect(raw?["secrets_file"] as? String == "\(ComposeGenerator.secretsDir)/\(name).json" && mounts.contains { $0["mountPath"] as? String == ComposeGenerator.secretsDir },
                    "\(name) reads its link secrets where the init container puts them")
            if let parent = config.parentId { #expect(services[parent] != nil && config.parentAddress == "\(parent):\(ComposeGenerator.meshPort)", "\(name) dials its parent's Service") }
        }
    }

    /// The node's secrets file as `topology secrets` writes it (the Secret's keys are these file names).
    func writeSecrets(for id: String) throws -> String {
        let out = dir.file("secrets")
        if !FileManager.default.fileExists(atPath: out + "/\(id).json") {
            let p = try CivicProcess(["topology", "secrets", "--topology", Self.root + "/deploy/config/topology.json", "--out", out], log: dir.file("secrets.log"))
            #expect(p.wait() == 0, "\(p.output)")
        }
        #expect(FileManager.default.fileExists(atPath: out + "/\(id).json"), "the Secret's key \(id).json is a file `topology secrets` writes")
        return out + "/\(id).json"
    }
}
