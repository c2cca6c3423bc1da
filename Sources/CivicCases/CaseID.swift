import Foundation

/// Readable case ids, unique across every intake node: `WH-20261121-000123` at the city,
/// `WH-20261121-s420102002-000045` at a street (the street's id keeps numbering apart).
public enum CaseID {
    public static func make(prefix: String, date: Date, intakeNode: String, isCity: Bool, sequence: Int) -> String {
        let day = dayStamp(date)
        let number = String(sequence).leftPadded(to: 6)
        return isCity ? "\(prefix)-\(day)-\(number)" : "\(prefix)-\(day)-\(intakeNode)-\(number)"
    }

    /// yyyyMMdd in UTC+8 (China Standard Time), the day operators see on their calendar.
    public static func dayStamp(_ date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return String(c.year!) + String(c.month!).leftPadded(to: 2) + String(c.day!).leftPadded(to: 2)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
