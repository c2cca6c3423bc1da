import CivicCases
import CivicNode
import Foundation

/// `civicmesh bench --timers`: what a timer tick costs as the open cases with deadlines grow. A city engine
/// gets `--due` real cases whose escalation falls due, and the same again with `--cases` idle timers beside
/// them (open cases whose next timer event is years away); a tick must cost the same with or without the idle
/// ones — it reads only the head of the timer index.
enum TimerBench {
    static func run(_ a: Arguments) throws -> Int32 {
        let idle = try a.int("cases", default: 1_000_000)
        let due = try a.int("due", default: 1000)
        let dir = NSTemporaryDirectory() + "civicmesh-timers-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ConfigGenerator.configs(for: SampleTopology.load(), options: .init(basePort: 0, dataRoot: dir)).first { $0.tier == .city }!
        let start = Date(timeIntervalSince1970: 1_796_000_400)  // Monday 2026-11-30 09:00 in Shanghai
        print("timer ticks at the city: \(due) cases falling due, alone and beside \(idle) idle timers")
        for withIdle in [0, idle] {
            let engine = try StandaloneEngine(config: config, path: dir + "/city-\(withIdle).sqlite", clock: SystemClock())
            defer { engine.close() }
            try engine.batch {
                for i in 0..<due {
                    let draft = CaseDraft(channel: .hotline, subject: SyntheticCases.subject(i), detail: SyntheticCases.detail(i), location: Location(address: "东湖区湖滨街道"), category: "城乡建设")
                    _ = try engine.intake(draft, at: start)
                }
            }
            if withIdle > 0 { try engine.addIdleTimersForBenchmark(withIdle) }
            // An idle tick: nothing is due yet.
            let rounds = 2000
            var t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<rounds { _ = try engine.fireTimers(at: start) }
            let idleTick = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3 / Double(rounds)
            // The ticks that issue every escalation due (pages of 256 cases).
            var issued = 0, ticks = 0
            t0 = DispatchTime.now().uptimeNanoseconds
            while true {
                let (tick, _) = try engine.fireTimers(at: start.addingTimeInterval(10 * 86_400))
                ticks += 1
                issued += tick.issued
                if tick.issued == 0 { break }
            }
            let busy = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3
            let label = withIdle == 0 ? "no idle timers" : "\(withIdle) idle timers"
            print("  " + label.padding(toLength: 22, withPad: " ", startingAt: 0)
                  + String(format: "idle tick %7.1f µs   %d events issued in %d ticks: %7.1f µs per event", idleTick, issued, ticks, busy / Double(max(issued, 1))))
        }
        return 0
    }
}
