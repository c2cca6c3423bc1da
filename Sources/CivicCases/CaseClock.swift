import Foundation

/// Where the case domain reads the time. Every engine call takes its time from one, so a test can drive
/// days of deadlines with a manual clock and an end-to-end run can go faster than real time.
public protocol CaseClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: CaseClock {
    public init() {}
    public func now() -> Date { Date() }
}
