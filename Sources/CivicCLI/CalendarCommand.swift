import CivicCases
import Foundation

/// `civicmesh calendar add-days|add-hours|check`: the working-day calendar a node counts time limits on.
enum CalendarCommand {
    static func run(_ args: [String]) throws -> Int32 {
        guard let sub = args.first else { throw UsageError("calendar needs add-days, add-hours or check") }
        let rest = Array(args.dropFirst())
        switch sub {
        case "add-days", "add-hours":
            let a = try Arguments(rest, command: "calendar \(sub)")
            let calendar = try load(a["calendar"])
            guard a.positional.count == 2, let n = Double(a.positional[1]), n >= 0 else {
                throw UsageError("calendar \(sub) needs a start time and a number, e.g. `calendar \(sub) 2026-09-30T10:00 3`")
            }
            let start = try parseTime(a.positional[0], calendar)
            let due: Date
            if sub == "add-days" {
                due = TimeLimit(n, a.has("calendar-days") ? .calendarDays : .workingDays).due(from: start, calendar: calendar)
            } else {
                due = TimeLimit(n, a.has("clock") ? .hours : .workingHours).due(from: start, calendar: calendar)
            }
            print(format(due, calendar))
            return 0
        case "check":
            let a = try Arguments(rest, command: "calendar check")
            let calendar = try load(a["calendar"])
            guard a.positional.count == 1 else { throw UsageError("calendar check needs a day, e.g. `calendar check 2026-10-10`") }
            let day = try parseTime(a.positional[0], calendar)
            let (working, reason) = calendar.workingDay(day)
            print("\(working ? "working day" : "day off"): \(reason)")
            return working ? 0 : 1
        default:
            throw UsageError("calendar has add-days, add-hours and check, not \"\(sub)\"")
        }
    }

    static func load(_ path: String?) throws -> WorkCalendar {
        guard let path else { return WorkCalendar.china2026 }
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError("cannot read calendar \(path)") }
        do { return try WorkCalendar.parse(data) } catch { throw UsageError("\(path): \(error)") }
    }

    /// "2026-09-30", "2026-09-30T10:00" or "2026-09-30T10:00:00", local time in the calendar's zone; or RFC 3339 with a zone.
    static func parseTime(_ text: String, _ calendar: WorkCalendar) throws -> Date {
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: text) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = calendar.timeZone
        for pattern in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            f.dateFormat = pattern
            if let d = f.date(from: text) { return d }
        }
        throw UsageError("\"\(text)\" is not a time: use 2026-09-30T10:00 (local time of \(calendar.timeZone.identifier)) or 2026-09-30")
    }

    static func format(_ date: Date, _ calendar: WorkCalendar) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = calendar.timeZone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
