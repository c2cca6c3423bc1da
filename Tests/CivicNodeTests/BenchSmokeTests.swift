import Foundation
import TestSupport
import Testing

/// The benchmark modes run end to end on tiny loads (figures are not judged here: benchmarks print them).
@Suite struct BenchSmokeTests {
    let dir = TempDirectory("bench-smoke")
    /// Six consecutive ports per run, above the kernel's ephemeral range (the suite's own client connections once took
    /// one of 30,000 + pid-derived ports before the bench's node bound it: "the links did not come up").
    let basePort = freePortBlock(6)

    @Test func threeProcessesCarryEveryCaseAndReportCPUPerNode() throws {
        let flood = try CivicProcess(["bench", "--processes", "--cases", "60", "--warmup", "5", "--connections", "2", "--pipeline", "3",
                                      "--base-port", String(basePort)], log: dir.file("flood.log"))
        #expect(flood.wait() == 0, "\(flood.output)")
        #expect(flood.output.contains("end to end: 60 of 60 at the street"), "\(flood.output)")
        for node in ["city       ", "d990101    ", "s990101001 ", "all nodes  "] { #expect(flood.output.contains("  \(node) CPU"), "\(node): \(flood.output)") }
        let paced = try CivicProcess(["bench", "--processes", "--rate", "40", "--seconds", "1", "--warmup", "5", "--connections", "2",
                                      "--base-port", String(basePort)], log: dir.file("paced.log"))
        #expect(paced.wait() == 0, "\(paced.output)")
        #expect(paced.output.contains("40 sent, 40 at the street") && paced.output.contains("p99"), "\(paced.output)")
    }

    @Test func stagesRunOnOneThread() throws {
        let stages = try CivicProcess(["bench", "--stages", "--cases", "20"], log: dir.file("stages.log"))
        #expect(stages.wait() == 0, "\(stages.output)")
        for stage in ["city triage", "city intake", "district apply", "street apply", "all stages"] { #expect(stages.output.contains(stage), "\(stages.output)") }
    }

    @Test func timerTicksRunBesideIdleTimers() throws {
        let timers = try CivicProcess(["bench", "--timers", "--cases", "2000", "--due", "30"], log: dir.file("timers.log"))
        #expect(timers.wait() == 0, "\(timers.output)")
        #expect(timers.output.contains("no idle timers") && timers.output.contains("2000 idle timers"), "\(timers.output)")
        #expect(timers.output.components(separatedBy: "30 events issued").count == 3, "every escalation issued, with and without the idle timers: \(timers.output)")
    }
}
