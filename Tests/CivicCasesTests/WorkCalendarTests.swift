import Foundation
import Testing
@testable import CivicCases

/// The working-day calendar and the deadline policy, on the built-in 2026 calendar of mainland China.
@Suite struct WorkCalendarTests {
    let cal = WorkCalendar.china2026

    /// Local time in Asia/Shanghai (UTC+8, no daylight saving), without a Foundation formatter: CF's
    /// formatters are not safe to use while other tests format on other threads.
    func t(_ text: String) -> Date {
        let day = WorkCalendar.dayNumber(String(text.prefix(10)))!
        let hm = text.dropFirst(11).split(separator: ":").map { Int($0)! }
        return Date(timeIntervalSince1970: Double(day * 86_400 + hm[0] * 3600 + hm[1] * 60 - 8 * 3600))
    }

    @Test func weekendsHolidaysAndMakeUpWorkingDays() {
        #expect(cal.workingDay(t("2026-12-04T10:00")) == (true, "2026-12-04 is a Friday"))
        #expect(cal.workingDay(t("2026-12-05T10:00")) == (false, "2026-12-05 is a Saturday"))
        #expect(cal.workingDay(t("2026-10-05T10:00")) == (false, "2026-10-05 is a public holiday (国庆节)"))
        #expect(cal.workingDay(t("2026-10-10T10:00")) == (true, "2026-10-10 is a make-up working day (国庆节调休)"), "a Saturday that is worked")
        #expect(cal.workingDay(t("2026-02-14T10:00")).working && !cal.workingDay(t("2026-02-23T10:00")).working, "春节: the Saturday before is worked, the Monday after is off")
        #expect(cal.workingDay(t("2026-01-04T10:00")).working, "元旦调休: a Sunday")
        #expect(cal.workingDay(t("2027-01-02T10:00")).reason.contains("outside this calendar's 2026–2026"), "a year the file does not cover says so")
        // Local days: 23:30 UTC on 9-30 is already 10-01 in Shanghai.
        #expect(!cal.isWorkingDay(Date(timeIntervalSince1970: Double(WorkCalendar.dayNumber("2026-09-30")! * 86_400 + 23 * 3600 + 1800))))
    }

    @Test func workingDaysSkipHolidaysAndCountMakeUpDays() {
        // Wednesday before National Day: 10-01…07 off, 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat worked (3).
        #expect(cal.addingWorkingDays(3, to: t("2026-09-30T10:00")) == t("2026-10-10T10:00"))
        #expect(cal.addingWorkingDays(1, to: t("2026-12-04T10:00")) == t("2026-12-07T10:00"), "Friday + 1 is Monday")
        #expect(cal.addingWorkingDays(1, to: t("2026-12-05T09:00")) == t("2026-12-08T08:30"), "from a Saturday the clock starts Monday at opening")
        #expect(cal.addingWorkingDays(1, to: t("2026-12-04T18:00")) == t("2026-12-08T08:30"), "after closing the clock starts the next working morning")
        #expect(cal.addingWorkingDays(0, to: t("2026-12-04T10:00")) == t("2026-12-04T10:00"))
    }

    @Test func workingHoursCrossTheLunchBreakAndTheNight() {
        #expect(cal.addingWorkingHours(1, to: t("2026-12-04T11:30")) == t("2026-12-04T14:30"), "30 min before lunch, 30 after")
        #expect(cal.addingWorkingHours(3, to: t("2026-12-04T16:00")) == t("2026-12-07T10:00"), "Friday 16:00 + 3 h: 1.5 h Friday, 1.5 h Monday")
        #expect(cal.addingWorkingHours(2, to: t("2026-12-03T22:00")) == t("2026-12-04T10:30"), "a night start counts from the morning")
        #expect(cal.addingWorkingHours(7, to: t("2026-12-04T08:30")) == t("2026-12-04T17:30"), "a whole working day is 7 hours")
        #expect(cal.addingWorkingHours(2, to: t("2026-09-30T17:00")) == t("2026-10-08T10:00"), "across the National Day week")
    }

    @Test func limitsInEveryUnit() {
        let start = t("2026-12-04T16:00")
        #expect(TimeLimit(24, .hours).due(from: start, calendar: cal) == t("2026-12-05T16:00"))
        #expect(TimeLimit(2, .calendarDays).due(from: start, calendar: cal) == t("2026-12-06T16:00"), "calendar days run over the weekend (5+2)")
        #expect(TimeLimit(2, .workingDays).due(from: start, calendar: cal) == t("2026-12-08T16:00"))
        #expect(TimeLimit(1.5, .workingHours).due(from: start, calendar: cal) == t("2026-12-04T17:30"))
    }

    @Test func aCalendarFileIsCheckedNamingTheEntry() {
        #expect(throws: CalendarError.self) { try WorkCalendar.parse(Data(#"{"time_zone":"Mars/Olympus"}"#.utf8)) }
        do { _ = try WorkCalendar.parse(Data(#"{"working_hours":["14:00-12:00"]}"#.utf8)); Issue.record("backwards hours accepted") } catch { #expect(error.field == "working_hours") }
        do { _ = try WorkCalendar.parse(Data(#"{"holidays":{"2026-13-1":"x"}}"#.utf8)); Issue.record("a bad day accepted") } catch { #expect(error.field == "holidays") }
        do { _ = try WorkCalendar.parse(Data(#"{"holidays":{"2026-10-10":"x"},"working_weekends":{"2026-10-10":"y"}}"#.utf8)); Issue.record("both accepted") } catch { #expect(error.field == "working_weekends") }
        #expect(WorkCalendar.china2026.holidays.count == 33 && WorkCalendar.china2026.workingWeekends.count == 6, "the notice's 33 days off and 6 make-up days")
    }

    @Test func thePolicyTakesTheFirstMatchingRuleThenTheDefault() {
        let p = DeadlinePolicy.sample
        func rule(_ type: String?, _ category: String?, _ channel: String, subject: String = "路灯不亮") -> String {
            let c = Case(id: "x", channel: Channel(rawValue: channel)!, citizen: Citizen(), subject: subject, detail: "", location: Location(),
                         category: category, requestType: type, intake: "city", createdAt: Date(), state: .dispatched, holder: "s1")
            return p.rule(for: p.facts(of: c)).name
        }
        #expect(rule("complaint", "城乡建设", "hotline", subject: "小区燃气泄漏") == "urgent safety matter", "urgent first, whatever the type")
        #expect(rule("consultation", "城乡建设", "web") == "consultation", "a consultation on the board is still a consultation (first match)")
        #expect(rule("complaint", "城乡建设", "web") == "message board")
        #expect(rule("complaint", "教育", "hotline") == "education bureau 5+2")
        #expect(rule("complaint", "城乡建设", "hotline") == "one or two departments")
        #expect(p.rules.allSatisfy { ($0.source ?? "").count > 10 } && (p.defaultRule.source ?? "").count > 10, "every figure says where it comes from")
        let decoded = try? JSONDecoder().decode(DeadlinePolicy.self, from: JSONEncoder().encode(p))
        #expect(decoded == p, "the policy round-trips through its JSON form")
    }
}
