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
    /// The same days as day numbers (days since 1970-01-01, local): what the arithmetic looks up.
    let holidayDays: Set<Int>
    let workingWeekendDays: Set<Int>
    /// The zone's offset when it has no daylight-saving time (Asia/Shanghai): no zone lookup per question.
    let fixedOffset: Int?

    public init(name: String, source: String, timeZone: TimeZone, workingHours: [ClosedRange<Int>], holidays: [String: String],
                workingWeekends: [String: String], years: ClosedRange<Int>? = nil) {
        self.name = name; self.source = source; self.timeZone = timeZone; self.workingHours = workingHours
        self.holidays = holidays; self.workingWeekends = workingWeekends; self.years = years
        holidayDays = Set(holidays.keys.compactMap(Self.dayNumber))
        workingWeekendDays = Set(workingWeekends.keys.compactMap(Self.dayNumber))
        let now = Date()
        fixedOffset = timeZone.nextDaylightSavingTimeTransition(after: now) == nil ? timeZone.secondsFromGMT(for: now) : nil
    }

    public static func == (a: WorkCalendar, b: WorkCalendar) -> Bool {
        a.name == b.name && a.source == b.source && a.timeZone == b.timeZone && a.workingHours == b.workingHours
            && a.holidays == b.holidays && a.workingWeekends == b.workingWeekends && a.years == b.years
    }

    // MARK: - Local time as plain numbers (no Foundation calendar on the dispatch path)

    func offset(at date: Date) -> Int { fixedOffset ?? timeZone.secondsFromGMT(for: date) }

    /// Seconds since 1970-01-01 00:00 local time.
    func localSeconds(_ date: Date) -> Double { date.timeIntervalSince1970 + Double(offset(at: date)) }

    /// The instant of a local time (the offset taken at that instant, so a DST change in between is honoured).
    func instant(localSeconds local: Double) -> Date {
        let guess = Date(timeIntervalSince1970: local - Double(offset(at: Date(timeIntervalSince1970: local))))
        return Date(timeIntervalSince1970: local - Double(offset(at: guess)))
    }

    static func floorDiv(_ a: Double, _ b: Double) -> Int { Int((a / b).rounded(.down)) }

    /// Local day number of `date`.
    func dayNumber(_ date: Date) -> Int { Self.floorDiv(localSeconds(date), 86_400) }

    /// "2026-10-10" → days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func dayNumber(_ key: String) -> Int? {
        let parts = key.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        let (m, d) = (parts[1], parts[2])
        let y = parts[0] - (m <= 2 ? 1 : 0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Days since 1970-01-01 → (year, month, day).
    static func civil(_ day: Int) -> (Int, Int, Int) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func key(_ day: Int) -> String {
        let (y, m, d) = civil(day)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    static func weekday(_ day: Int) -> Int { ((day % 7) + 11) % 7 }

    func isWorkingDay(number day: Int) -> Bool {
        if holidayDays.contains(day) { return false }
        if workingWeekendDays.contains(day) { return true }
        let w = Self.weekday(day)
        return w != 0 && w != 6
    }

    // MARK: - Questions

    /// "2026-10-10" for the local day of `date`.
    public func dayKey(_ date: Date) -> String { Self.key(dayNumber(date)) }

    /// Whether the local day of `date` is a working day, and why.
    public func workingDay(_ date: Date) -> (working: Bool, reason: String) {
        let day = dayNumber(date)
        let key = Self.key(day)
        if let why = holidays[key] { return (false, "\(key) is a public holiday (\(why))") }
        if let why = workingWeekends[key] { return (true, "\(key) is a make-up working day (\(why))") }
        let weekday = Self.weekday(day)
        let name = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][weekday]
        let year = Self.civil(day).0
        let outside = years.map { $0.contains(year) ? "" : " (\(year) is outside this calendar's \($0.lowerBound)–\($0.upperBound): weekdays only)" } ?? ""
        return (weekday != 0 && weekday != 6, "\(key) is a \(name)\(outside)")
    }

    public func isWorkingDay(_ date: Date) -> Bool { isWorkingDay(number: dayNumber(date)) }

    /// The instant `days` working days after `start`, at the same local time of day. A start outside a working
    /// day (or after its last working hour) counts from the next working day's first working minute.
    public func addingWorkingDays(_ days: Int, to start: Date) -> Date {
        precondition(days >= 0)
        var local = localSeconds(start)
        var day = Self.floorDiv(local, 86_400)
        let minute = (local - Double(day) * 86_400) / 60
        if !isWorkingDay(number: day) || (workingHours.last.map { minute >= Double($0.upperBound) } ?? false) {
            local = nextWorkingStart(afterLocal: local)
            day = Self.floorDiv(local, 86_400)
        }
        let timeOfDay = local - Double(day) * 86_400
        var counted = 0
        var steps = 0
        while counted < days {
            day += 1
            steps += 1
            precondition(steps < 3660, "no working day within ten years: check the calendar")
            if isWorkingDay(number: day) { counted += 1 }
        }
        return instant(localSeconds: Double(day) * 86_400 + timeOfDay)
    }

    /// The instant when `hours` working hours have passed after `start` (working days, within working hours).
    public func addingWorkingHours(_ hours: Double, to start: Date) -> Date {
        var remaining = hours * 60  // minutes
        let local = localSeconds(start)
        var day = Self.floorDiv(local, 86_400)
        var minute = (local - Double(day) * 86_400) / 60
        var steps = 0
        while true {
            if isWorkingDay(number: day) {
                for range in workingHours {
                    let open = max(Double(range.lowerBound), minute), close = Double(range.upperBound)
                    guard open < close else { continue }
                    if remaining <= close - open { return instant(localSeconds: Double(day) * 86_400 + (open + remaining) * 60) }
                    remaining -= close - open
                }
            }
            day += 1
            minute = 0
            steps += 1
            precondition(steps < 3660, "no working hour within ten years: check the calendar")
        }
    }

    /// How many working hours lie between two instants (0 when `end` is not after `start`): what a warning
    /// "when a quarter of the time is left" measures for a limit in working hours or days.
    public func workingHours(from start: Date, to end: Date) -> Double {
        guard end > start else { return 0 }
        let (a, b) = (localSeconds(start), localSeconds(end))
        var day = Self.floorDiv(a, 86_400)
        let lastDay = Self.floorDiv(b, 86_400)
        var minutes = 0.0
        while day <= lastDay {
            if isWorkingDay(number: day) {
                let dayStart = Double(day) * 86_400
                for range in workingHours {
                    let open = max(dayStart + Double(range.lowerBound) * 60, a), close = min(dayStart + Double(range.upperBound) * 60, b)
                    if close > open { minutes += (close - open) / 60 }
                }
            }
            day += 1
        }
        return minutes / 60
    }

    /// The first working minute after a local time: later the same working day, or the next working day's opening.
    func nextWorkingStart(afterLocal local: Double) -> Double {
        var day = Self.floorDiv(local, 86_400)
        let minute = (local - Double(day) * 86_400) / 60
        let opening = Double(workingHours.first?.lowerBound ?? 0)
        if isWorkingDay(number: day), minute < opening { return Double(day) * 86_400 + opening * 60 }
        repeat { day += 1 } while !isWorkingDay(number: day)
        return Double(day) * 86_400 + opening * 60
    }

    /// The same local time `days` calendar days later.
    public func addingCalendarDays(_ days: Int, to start: Date) -> Date { instant(localSeconds: localSeconds(start) + Double(days) * 86_400) }
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
