import CivicCases
import CivicIO
import Foundation

/// Runs the node's timer events (TimerRules) on time: one loop timer, armed for when the head of the timer
/// index falls due (never a sweep of the open cases), each tick one writer operation that issues what is due
/// and says when the next is. Touched only on the loop thread.
final class TimerTicker: @unchecked Sendable {
    // Invariant: every member is touched only on the loop thread (completions come back there).
    private let loop: EventLoop
    private let store: NodeStore
    private let clock: any CaseClock
    private let log: Logger
    private var armed: TimerHandle?
    private var stopped = false
    private var ticking = false
    /// Cases per tick; a full page means more are due, and the next tick follows at once.
    static let page = 256
    /// The longest the ticker sleeps in real seconds: a case created meanwhile with an earlier limit waits at
    /// most this long (shorter when case time runs faster than the wall clock).
    let longestSleep: Double

    init(loop: EventLoop, store: NodeStore, clock: any CaseClock, log: Logger) {
        self.loop = loop
        self.store = store
        self.clock = clock
        self.log = log
        longestSleep = clock.rate > 1 ? 0.02 : 1
    }

    func start() { arm(after: 0) }

    func stop() {
        stopped = true
        if let armed { loop.cancelTimer(armed) }
        armed = nil
    }

    private func arm(after seconds: Double) {
        guard !stopped else { return }
        if let armed { loop.cancelTimer(armed) }
        armed = loop.scheduleTimer(after: seconds) { [weak self] in self?.tick() }
    }

    private func tick() {
        armed = nil
        guard !stopped, !ticking else { return }
        ticking = true
        let (clock, page) = (self.clock, Self.page)
        store.run({ engine in try engine.fireTimers(at: clock.now(), limit: page) }) { [weak self] result in
            guard let self else { return }
            ticking = false
            switch result {
            case .success(let tick):
                if tick.issued > 0 { log.debug("timers: issued \(tick.issued) events") }
                arm(after: delay(until: tick.next, more: tick.issued >= page))
            case .failure(let error):
                log.warning("timers: a tick failed (\(error)); trying again")
                arm(after: longestSleep)
            }
        }
    }

    /// Real seconds until `next` in case time, within [5 ms, longestSleep].
    private func delay(until next: Date?, more: Bool) -> Double {
        if more { return 0 }
        guard let next else { return longestSleep }
        let seconds = next.timeIntervalSince(clock.now()) / max(clock.rate, 1e-9)
        return min(longestSleep, max(0.005, seconds))
    }
}
