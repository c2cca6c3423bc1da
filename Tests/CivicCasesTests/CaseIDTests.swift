import Foundation
import Testing
@testable import CivicCases

/// The day in a case id is the China Standard Time date Foundation's Gregorian calendar gives.
@Suite struct CaseIDTests {
    static func reference(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
    }

    @Test func agreesWithFoundationsCalendarAroundMidnightsLeapDaysAndCenturies() {
        // Midnight in China (16:00 UTC) and the seconds either side, on dates that catch leap-year rules.
        let days = ["1970-01-01", "1999-12-31", "2000-02-29", "2000-03-01", "2024-02-29", "2026-12-31", "2027-01-01", "2100-02-28", "2100-03-01"]
        let parse = ISO8601DateFormatter()
        for day in days {
            let midnight = parse.date(from: day + "T00:00:00+08:00")!
            for offset in [-1.0, -0.001, 0, 0.001, 1, 43_200, 86_399.999] {
                let date = midnight.addingTimeInterval(offset)
                #expect(CaseID.dayStamp(date) == Self.reference(date), "\(day) \(offset)")
            }
        }
        var state: UInt64 = 3
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407  // a plain LCG: any spread will do
            let date = Date(timeIntervalSince1970: Double((state >> 11) % 6_000_000_000) - 1_000_000_000)  // 1938 to 2128
            #expect(CaseID.dayStamp(date) == Self.reference(date), "\(date)")
        }
    }
}
