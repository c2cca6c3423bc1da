import CivicCases
import CivicHTTP
import CivicSupport
import Foundation
import TestSupport
import Testing
@testable import CivicNode

/// `GET /metrics` on a running city, read by the real parser (`promtool check metrics`, Debian package
/// `prometheus`), and checked against what the city did.
@Suite(.serialized) final class MetricsTests: OnSampleCity {
    let sample: SampleCity
    var city: LocalCity { sample.city }
    init() throws { sample = try SampleCity("metrics") }

    static func promtool() -> String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The value of one sample line (`name{labels} value`), nil when absent.
    func value(_ page: String, _ series: String) -> Double? {
        page.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func theMetricsPagePassesPromtoolAndSaysWhatTheCityDid() throws {
        let viewer = try NodeTokens.create(config: city.configs["city"]!, role: .viewer, unit: nil, name: "prometheus", lifetime: 3600).token
        for subject in ["路灯不亮", "井盖松动", "楼上噪音扰民", "垃圾堆积无人清运", "小区门口占道经营"] {
            let r = try API.post(url("city", "/api/cases"), ["subject": subject, "address": "东湖区湖滨街道", "category": "城乡建设", "channel": "hotline"])
            #expect(r.status == 201, "\(r.text)")
        }
        _ = try API.get(url("city", "/api/cases/NOPE-1"))
        #expect(eventually { (try? API.get(self.url("city", "/status")).object("counters", "subtree")?["by_state"] as? [String: Int])??["dispatched"] == 5 })
        #expect(try API.get(url("city", "/metrics"), token: "").status == 401, "a scraper carries a token")
        let (status, body) = try rawGet("/metrics", token: viewer)
        #expect(status == 200)
        #expect(value(body, #"civicmesh_cases{scope="subtree",state="dispatched"}"#) == 5, "\(body.prefix(600))")
        #expect(value(body, #"civicmesh_case_actions_total{scope="self",action="received"}"#) == 5)
        #expect(value(body, #"civicmesh_http_requests_total{method="POST",route="/api/cases",status="201"}"#) == 5)
        #expect(value(body, #"civicmesh_http_requests_total{method="GET",route="/api/cases/:id",status="404"}"#) == 1)
        #expect(value(body, "civicmesh_intake_seconds_count") == 5)
        #expect((value(body, "civicmesh_store_batch_operations_count") ?? 0) >= 1)
        #expect((value(body, "civicmesh_process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect(value(body, #"civicmesh_link_up{peer="d990101",direction="child"}"#) == 1)
        #expect(value(body, #"civicmesh_verdicts_total{scope="subtree",kind="satisfied"}"#) == 0)
        let district = try rawGet("/metrics", node: "d990101").1
        #expect((value(district, "civicmesh_mesh_apply_seconds_count") ?? 0) >= 5, "the district applied the dispatches")

        guard let promtool = Self.promtool() else {
            if ProcessInfo.processInfo.environment["CIVICMESH_REQUIRE_PROMTOOL"] == "1" { Issue.record("promtool is required here and missing") }
            print("MetricsTests: skipping promtool: not installed (apt-get install -y prometheus)")
            return
        }
        for (node, page) in [("city", body), ("d990101", district)] {
            let file = sample.dir.file("\(node).prom")
            try page.write(toFile: file, atomically: true, encoding: .utf8)
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/bin/sh")
            check.arguments = ["-c", "\(promtool) check metrics < \(file) > \(file).out 2>&1"]
            try check.run()
            check.waitUntilExit()
            let said = (try? String(contentsOfFile: file + ".out", encoding: .utf8)) ?? "?"
            #expect(check.terminationStatus == 0 && said.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool on \(node): \(said)")
        }
    }

    /// A plain GET (the page is text, not JSON) with the node's admin token unless one is given.
    func rawGet(_ path: String, node: String = "city", token: String? = nil) throws -> (Int, String) {
        let address = city.nodes[node]!.httpAddress
        let auth = token ?? TestTokens.admin(city.configs[node]!, address: address)
        let r = try HTTPClient.send(method: "GET", url: "http://\(address)\(path)", body: nil, headers: ["Authorization": "Bearer \(auth)"])
        return (r.status, r.text)
    }

    @Test func labelValuesAndHelpAreEscapedAndHistogramsAreCumulative() {
        var p = PrometheusText()
        p.family("x_total", .counter, "line one\nline \\two")
        p.sample("x_total", [("peer", "a\"b\\c\nd")], 3)
        var h = Histogram(bounds: [1, 2])
        for v in [0.5, 1.5, 1.7, 9] { h.observe(v) }
        p.family("y_seconds", .histogram, "h")
        p.histogram("y_seconds", [], h)
        #expect(p.text.contains(#"# HELP x_total line one\nline \\two"#))
        #expect(p.text.contains(#"x_total{peer="a\"b\\c\nd"} 3"#))
        #expect(p.text.contains(#"y_seconds_bucket{le="1"} 1"#) && p.text.contains(#"y_seconds_bucket{le="2"} 3"#) && p.text.contains(#"y_seconds_bucket{le="+Inf"} 4"#))
        #expect(p.text.contains("y_seconds_sum 12.7") && p.text.contains("y_seconds_count 4"))
    }
}
