import Foundation

/// Readable case ids, unique across every intake node: `WH-20261121-000123` at the city,
/// `WH-20261121-s420102002-000045` at a street (the street's id keeps numbering apart).
public enum CaseID {
    public static func make(prefix: String, date: Date, intakeNode: String, isCity: Bool, sequence: Int) -> String {
        let day = dayStamp(date)
        let number = String(sequence).leftPadded(to: 6)
        return isCity ? "\(prefix)-\(day)-\(number)" : "\(prefix)-\(day)-\(intakeNode)-\(number)"
    }

    /// yyyyMMdd in UTC+8 (China Standard Time), the day operators see on their calendar. The civil date is
    /// computed from the day number (proleptic Gregorian, as Foundation's calendar gives it; `CaseIDTests`
    /// compares the two): a `Calendar` made for each intake was 2.5 % of it.
    public static func dayStamp(_ date: Date) -> String {
        let seconds = Int((date.timeIntervalSince1970 + 8 * 3600).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (year, month, day) = WorkCalendar.civil(days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            for _ in 0..<width {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor = max(1, divisor / 10)
            }
        }
        digits(year, 4)
        digits(month, 2)
        digits(day, 2)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
