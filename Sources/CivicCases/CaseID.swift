import Foundation

/// Readable case ids, unique across every intake node: `WH-20261121-000123` at the city,
/// `WH-20261121-s420102002-000045` at a street (the street's id keeps numbering apart).
public enum CaseID {
    /// `day`: the intake's `dayStamp`, which also keys the day's numbering.
    public static func make(prefix: String, day: String, intakeNode: String, isCity: Bool, sequence: Int) -> String {
        let number = String(sequence).leftPadded(to: 6)
        return isCity ? "\(prefix)-\(day)-\(number)" : "\(prefix)-\(day)-\(intakeNode)-\(number)"
    }

    /// yyyyMMdd in UTC+8 (China Standard Time), the day operators see on their calendar. The civil date is
    /// computed from the day number (proleptic Gregorian, as Foundation's calendar gives it; `CaseIDTests`
    /// compares the two): a `Calendar` made for each intake was 2.5 % of it.
    public static func dayStamp(_ date: Date) -> String {
        let (year, month, day) = WorkCalendar.civil(WorkCalendar.floorDiv(date.timeIntervalSince1970 + 8 * 3600, 86_400))
        return String(year) + String(month).leftPadded(to: 2) + String(day).leftPadded(to: 2)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
