import Foundation
import Testing
@testable import CivicTopic

@Suite struct MessageCSVTests {
    @Test func quotedFieldsKeepCommasNewlinesAndEscapedQuotes() throws {
        let text = "subject,detail,category\r\n\"路灯, 不亮\",\"第一行\n第二行 \"\"引号\"\"\",城乡建设\r\n普通主题,,交通运输\n"
        let messages = try MessageCSV.parseMessages(text)
        #expect(messages.count == 2)
        #expect(messages[0] == LabeledMessage(subject: "路灯, 不亮", detail: "第一行\n第二行 \"引号\"", label: "城乡建设"))
        #expect(messages[1] == LabeledMessage(subject: "普通主题", detail: "", label: "交通运输"))
    }

    @Test func columnsAreChosenByHeaderName() throws {
        let text = "row_id,category,extra,subject\nM1,教育文体,x,学校乱收费\nM2,卫生计生,y,\"医院,排队\""
        let messages = try MessageCSV.parseMessages(text)
        #expect(messages.map(\.subject) == ["学校乱收费", "医院,排队"])
        #expect(messages.map(\.label) == ["教育文体", "卫生计生"])
        #expect(messages.allSatisfy { $0.detail.isEmpty })  // no detail column: empty detail
    }

    @Test func unlabelledFilesNeedOnlyASubject() throws {
        let text = "id,subject,detail,category\n1,路灯不亮,\"晚上,很黑\",城乡建设\n2,公交太挤,,\n"
        #expect(try MessageCSV.parseUnlabelled(text) == [
            UnlabelledMessage(subject: "路灯不亮", detail: "晚上,很黑"), UnlabelledMessage(subject: "公交太挤", detail: ""),
        ])
        #expect(try MessageCSV.parseUnlabelled("subject\n只有主题\n") == [UnlabelledMessage(subject: "只有主题")])
        #expect(throws: MessageCSVError.missingColumn(path: "u.csv", column: "subject", header: ["detail"])) {
            try MessageCSV.parseUnlabelled("detail\nx\n", path: "u.csv")
        }
    }

    @Test func missingColumnErrorNamesFileAndColumn() {
        #expect(throws: MessageCSVError.missingColumn(path: "x.csv", column: "category", header: ["subject", "detail"])) {
            try MessageCSV.parseMessages("subject,detail\na,b\n", path: "x.csv")
        }
        let error = MessageCSVError.missingColumn(path: "x.csv", column: "category", header: ["subject"])
        #expect(error.description.contains("x.csv") && error.description.contains("category"))
    }

    @Test func unterminatedQuoteIsReportedWithItsLine() {
        #expect(throws: MessageCSVError.unterminatedQuote(path: "<memory>", line: 3)) {
            try MessageCSV.parseRows("a,b\nc,d\ne,\"never closed\nmore")
        }
    }

    @Test func shortRowsAndByteOrderMarkAreTolerated() throws {
        let rows = try MessageCSV.parseRows("\u{FEFF}subject,category,detail\n只有主题,商贸旅游\n")
        #expect(rows[0] == ["subject", "category", "detail"])
        let messages = try MessageCSV.parseMessages("\u{FEFF}subject,category,detail\n只有主题,商贸旅游\n")
        #expect(messages == [LabeledMessage(subject: "只有主题", detail: "", label: "商贸旅游")])
    }

    @Test func loadReadsAFileAndReportsAMissingOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("topic-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.csv").path
        try Data("subject,detail,category\n噪音扰民,\"夜里施工\",环境保护\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try MessageCSV.load(path: path) == [LabeledMessage(subject: "噪音扰民", detail: "夜里施工", label: "环境保护")])
        let missing = directory.appendingPathComponent("absent.csv").path
        #expect {
            try MessageCSV.load(path: missing)
        } throws: { error in
            guard case MessageCSVError.unreadable(let path, _) = error else { return false }
            return path == missing
        }
    }
}
