import Foundation
import Testing
@testable import CivicNode

/// The intake body's fast reader takes what Foundation's decoder takes, field for field, and declines the rest
/// (which then gets the decoder's own error naming the field).
@Suite struct IntakeBodyReadTests {
    typealias NewCase = CaseRequests.NewCase

    func same(_ a: NewCase, _ b: NewCase) -> Bool {
        a.channel == b.channel && a.subject == b.subject && a.detail == b.detail && a.citizen_name == b.citizen_name
            && a.citizen_phone == b.citizen_phone && a.address == b.address && a.division == b.division && a.category == b.category
    }

    @Test func readsWhatTheDecoderReads() throws {
        let bodies = [
            #"{"channel":"hotline","subject":"路灯不亮","detail":"湖滨街道某路12号路灯坏了三天","citizen_name":"王","citizen_phone":"13800000000","address":"东湖区湖滨街道某路12号","category":"城乡建设"}"#,
            #"{ "subject" : "escaped \"quote\" \\ and \u957f \ud83d\udea7", "detail": null, "extra": "ignored", "division": "990101" }"#,
            #"{"subject":"only"}"#,
            #"{"subject":"tab\tnewline\n","zzz":null}"#,
        ]
        for text in bodies {
            let body = Array(text.utf8)
            let fast = try #require(NewCase.fastRead(body), "\(text)")
            let slow = try JSONDecoder().decode(NewCase.self, from: Data(body))
            #expect(same(fast, slow), "\(text)")
        }
    }

    @Test func declinesWhatItDoesNotTakeAndTheDecoderStillNamesTheField() {
        let declined = [
            #"{"subject":42}"#, #"{"subject":"a","subject":"b"}"#, #"{"subject":"a","n":1}"#, #"{"subject":"a","o":{}}"#,
            #"["subject"]"#, #"{"subject":"a"} x"#, #"{"subject":"a""#, "{\"subject\":\"\u{01}\"}", #"{"subject":"\ud800"}"#, "",
        ]
        for text in declined { #expect(NewCase.fastRead(Array(text.utf8)) == nil, "\(text)") }
        do {
            _ = try CaseRequests.draft(from: Array(#"{"subject":42}"#.utf8), defaultChannel: .web)
            Issue.record("a number for subject was taken")
        } catch { #expect(error.field == "subject" && error.code == "bad_field", "\(error)") }
        // Declined only for the fast path: a number under an unknown key is still a valid body.
        #expect((try? CaseRequests.draft(from: Array(#"{"subject":"a","n":1}"#.utf8), defaultChannel: .web))?.subject == "a")
    }
}
