import Foundation

/// Where the case domain reads the time. Every engine call takes its time from one, so a test can drive
/// days of deadlines with a manual clock and an end-to-end run can go faster than real time.
public protocol CaseClock: Sendable {
    func now() -> Date
    /// Case seconds per wall-clock second (1 for the wall clock): how a timer converts a due time to a sleep.
    var rate: Double { get }
}

extension CaseClock {
    public var rate: Double { 1 }
}

/// The wall clock.
public struct SystemClock: CaseClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Time running `speed` times faster than the wall clock from `anchor` on: at the anchor both agree, and a
/// second later this one is `speed` seconds on. The anchor is fixed in the node's config, so a restarted
/// node's clock goes on where it was, never back (`civicmesh up --speed N` for watching time limits run out).
public struct ScaledClock: CaseClock {
    public let anchor: Date
    public let speed: Double
    public init(anchor: Date, speed: Double) { self.anchor = anchor; self.speed = speed }
    public var rate: Double { speed }
    public func now() -> Date { at(wall: Date()) }
    /// What this clock says when the wall clock says `wall`.
    public func at(wall: Date) -> Date { anchor.addingTimeInterval(wall.timeIntervalSince(anchor) * speed) }
}
