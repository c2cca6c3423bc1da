import Foundation

/// Working days and hours for time limits: weekends, public holidays and make-up working days (调休)
/// from a calendar file, in one time zone, with the offices' working hours. Pure: every answer follows
/// from the file and the instant asked about.
public struct WorkCalendar: Sendable, Equatable {
    public var name: String
    /// Where the days come from (the official notice), said in the file.
    public var source: String
    public var timeZone: TimeZone
    /// Working hours of a working day, as minutes after midnight, in order: e.g. 08:30–12:00, 14:00–17:30.
    public var workingHours: [ClosedRange<Int>]
    /// "YYYY-MM-DD" → why it is a day off (元旦, 春节…).
    public var holidays: [String: String]
    /// "YYYY-MM-DD" → why a Saturday or Sunday is a working day (调休).
    public var workingWeekends: [String: String]
    /// The years the file covers: a day outside them follows the weekday rule only, and says so.
    public var years: ClosedRange<Int>?
    /// The Gregorian calendar in `timeZone`, made once (a node asks it on every dispatch).
    let gregorian: Calendar

    public init(name: String, source: String, timeZone: TimeZone, workingHours: [ClosedRange<Int>], holidays: [String: String],
                workingWeekends: [String: String], years: ClosedRange<Int>? = nil) {
        self.name = name; self.source = source; self.timeZone = timeZone; self.workingHours = workingHours
        self.holidays = holidays; self.workingWeekends = workingWeekends; self.years = years
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        gregorian = c
    }

    /// "2026-10-10" for the local day of `date`.
    public func dayKey(_ date: Date) -> String {
        let d = gregorian.dateComponents([.year, .month, .day], from: date)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(d.year!)-\(two(d.month!))-\(two(d.day!))"
    }

    /// Whether the local day of `date` is a working day, and why.
    public func workingDay(_ date: Date) -> (working: Bool, reason: String) {
        let key = dayKey(date)
        if let why = holidays[key] { return (false, "\(key) is a public holiday (\(why))") }
        if let why = workingWeekends[key] { return (true, "\(key) is a make-up working day (\(why))") }
        let weekday = gregorian.component(.weekday, from: date)  // 1 = Sunday … 7 = Saturday
        let name = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][weekday - 1]
        let year = gregorian.component(.year, from: date)
        let outside = years.map { $0.contains(year) ? "" : " (\(year) is outside this calendar's \($0.lowerBound)–\($0.upperBound): weekdays only)" } ?? ""
        if weekday == 1 || weekday == 7 { return (false, "\(key) is a \(name)\(outside)") }
        return (true, "\(key) is a \(name)\(outside)")
    }

    public func isWorkingDay(_ date: Date) -> Bool { workingDay(date).working }

    /// Local midnight of the day of `date`.
    func startOfDay(_ date: Date) -> Date { gregorian.startOfDay(for: date) }

    func day(_ date: Date, plus days: Int) -> Date { gregorian.date(byAdding: .day, value: days, to: date)! }

    /// Minutes after local midnight.
    func minuteOfDay(_ date: Date) -> Double { date.timeIntervalSince(startOfDay(date)) / 60 }

    /// The instant `days` working days after `start`, at the same local time of day. A start outside a working
    /// day (or after its last working hour) counts from the next working day's first working minute.
    public func addingWorkingDays(_ days: Int, to start: Date) -> Date {
        precondition(days >= 0)
        var from = start
        if !isWorkingDay(from) || (workingHours.last.map { minuteOfDay(from) >= Double($0.upperBound) } ?? false) {
            from = nextWorkingStart(after: from)
        }
        var cursor = from
        var counted = 0
        var guardDays = 0
        while counted < days {
            cursor = day(cursor, plus: 1)
            guardDays += 1
            precondition(guardDays < 3660, "no working day within ten years: check the calendar")
            if isWorkingDay(cursor) { counted += 1 }
        }
        return cursor
    }

    /// The instant when `hours` working hours have passed after `start` (working days, within working hours).
    public func addingWorkingHours(_ hours: Double, to start: Date) -> Date {
        var remaining = hours * 60  // minutes
        var dayStart = startOfDay(start)
        var minute = minuteOfDay(start)
        var guardDays = 0
        while true {
            if isWorkingDay(dayStart) {
                for range in workingHours {
                    let open = max(Double(range.lowerBound), minute), close = Double(range.upperBound)
                    guard open < close else { continue }
                    if remaining <= close - open { return dayStart.addingTimeInterval((open + remaining) * 60) }
                    remaining -= close - open
                }
            }
            dayStart = day(dayStart, plus: 1)
            minute = 0
            guardDays += 1
            precondition(guardDays < 3660, "no working hour within ten years: check the calendar")
        }
    }

    /// The first working minute after `date` on a later (or the same, later in the day) working day.
    func nextWorkingStart(after date: Date) -> Date {
        var dayStart = startOfDay(date)
        let minute = minuteOfDay(date)
        let opening = Double(workingHours.first?.lowerBound ?? 0)
        if isWorkingDay(dayStart), minute < opening { return dayStart.addingTimeInterval(opening * 60) }
        repeat { dayStart = day(dayStart, plus: 1) } while !isWorkingDay(dayStart)
        return dayStart.addingTimeInterval(opening * 60)
    }

    public func addingCalendarDays(_ days: Int, to start: Date) -> Date { day(start, plus: days) }
}

/// A calendar file could not be read; names the entry at fault.
public struct CalendarError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var problem: String
    public init(_ field: String, _ problem: String) { self.field = field; self.problem = problem }
    public var description: String { "calendar: \(field): \(problem)" }
}

extension WorkCalendar {
    /// The file's shape: `{"name", "source", "time_zone", "working_hours": ["08:30-12:00", …],
    /// "holidays": {"2026-01-01": "元旦", …}, "working_weekends": {"2026-01-04": "元旦调休", …}}`.
    public struct File: Codable, Sendable, Equatable {
        var name: String?
        var source: String?
        var time_zone: String?
        var working_hours: [String]?
        var holidays: [String: String]?
        var working_weekends: [String: String]?
    }

    public static func parse(_ data: Data) throws(CalendarError) -> WorkCalendar {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch { throw CalendarError("-", "not a calendar file: \(error)") }
        return try WorkCalendar(file: file)
    }

    public init(file: File) throws(CalendarError) {
        let zoneName = file.time_zone ?? "Asia/Shanghai"
        guard let zone = TimeZone(identifier: zoneName) else { throw CalendarError("time_zone", "\(zoneName) is not a time zone (e.g. Asia/Shanghai)") }
        var hours: [ClosedRange<Int>] = []
        for text in file.working_hours ?? ["08:30-12:00", "14:00-17:30"] {
            let parts = text.split(separator: "-").map { $0.split(separator: ":").compactMap { Int($0) } }
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && (0...24).contains($0[0]) && (0...59).contains($0[1]) }) else {
                throw CalendarError("working_hours", "\"\(text)\" is not HH:MM-HH:MM")
            }
            let a = parts[0][0] * 60 + parts[0][1], b = parts[1][0] * 60 + parts[1][1]
            guard a < b, b <= 24 * 60, hours.last.map({ $0.upperBound <= a }) ?? true else {
                throw CalendarError("working_hours", "\"\(text)\" must end after it starts, within the day, after the previous range")
            }
            hours.append(a...b)
        }
        let dayPattern = try! NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}$"#)
        var years: [Int] = []
        for (field, days) in [("holidays", file.holidays ?? [:]), ("working_weekends", file.working_weekends ?? [:])] {
            for key in days.keys {
                guard dayPattern.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)) != nil, let y = Int(key.prefix(4)) else {
                    throw CalendarError(field, "\"\(key)\" is not a day YYYY-MM-DD")
                }
                years.append(y)
            }
        }
        if let both = Set(file.holidays?.keys.map { $0 } ?? []).intersection(file.working_weekends?.keys.map { $0 } ?? []).first {
            throw CalendarError("working_weekends", "\(both) is both a holiday and a working weekend")
        }
        self.init(name: file.name ?? "calendar", source: file.source ?? "", timeZone: zone, workingHours: hours,
                  holidays: file.holidays ?? [:], workingWeekends: file.working_weekends ?? [:],
                  years: years.min().flatMap { lo in years.max().map { lo...$0 } })
    }

    /// Mainland China 2026, from the State Council's notice of 2025-11-04 (关于2026年部分节假日安排的通知).
    public static let china2026 = try! parse(Data(ChinaHolidays.json2026.utf8))
}
