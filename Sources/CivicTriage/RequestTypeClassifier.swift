import CLinuxShims
/// The kind of request, as 12345 hotlines count them: 投诉 咨询 求助 建议 表扬.
public enum RequestType: String, Codable, Sendable, CaseIterable {
    case complaint, consultation, help, suggestion, praise
}

public struct RequestTypeDecision: Sendable, Equatable {
    public var type: RequestType
    /// Which words decided it, e.g. "consultation: 咨询 (subject), 如何办理 (detail); complaint scored 0".
    public var reason: String

    public init(type: RequestType, reason: String) {
        self.type = type
        self.reason = reason
    }
}

/// Keyword rules for the request type. There is no labelled data, so the rules are explicit:
///
/// - Each type has cue phrases with a weight (3 = decisive word such as 表扬 or 求助, 2 = strong
///   pattern, 1 = hint). A cue counts once per field; a cue in the subject counts three times, because
///   the subject is the caller's own summary.
/// - Some cues count only in the subject: "感谢" (in a body it is mostly a polite closing), question
///   marks (a body is full of rhetorical "难道没人管吗？").
/// - A type other than complaint found only in the body needs `bodyOnlyMinimum` points.
/// - The type with the highest score wins; ties go to the more specific type in the order
///   praise > help > suggestion > consultation > complaint. With no cue at all the message is a
///   complaint, the most common and the safest kind (it gets a handling deadline).
public enum RequestTypeClassifier {
    struct Cue {
        var phrase: String
        var weight: Int
        var subjectOnly = false
    }

    /// Tie-break order: the first type wins among equal scores.
    static let priority: [RequestType] = [.praise, .help, .suggestion, .consultation, .complaint]

    static let cues: [RequestType: [Cue]] = [
        .praise: [
            Cue(phrase: "表扬", weight: 3), Cue(phrase: "锦旗", weight: 3), Cue(phrase: "点赞", weight: 3),
            Cue(phrase: "赞扬", weight: 3), Cue(phrase: "称赞", weight: 3), Cue(phrase: "感谢信", weight: 3),
            Cue(phrase: "致谢", weight: 2), Cue(phrase: "好人好事", weight: 3), Cue(phrase: "为民办实事", weight: 2),
            Cue(phrase: "感谢", weight: 2, subjectOnly: true), Cue(phrase: "谢谢", weight: 1, subjectOnly: true),
        ],
        .help: [
            Cue(phrase: "求助", weight: 3), Cue(phrase: "求救", weight: 3), Cue(phrase: "救救", weight: 3),
            Cue(phrase: "帮帮", weight: 3), Cue(phrase: "救助", weight: 3), Cue(phrase: "急需", weight: 2),
            Cue(phrase: "走投无路", weight: 3), Cue(phrase: "无家可归", weight: 3), Cue(phrase: "生活困难", weight: 2),
            Cue(phrase: "看不起病", weight: 2), Cue(phrase: "请求帮助", weight: 3), Cue(phrase: "恳请帮助", weight: 3),
            Cue(phrase: "帮忙", weight: 1), Cue(phrase: "走失", weight: 2), Cue(phrase: "被困", weight: 2),
        ],
        .suggestion: [
            Cue(phrase: "建议", weight: 2), Cue(phrase: "提议", weight: 3), Cue(phrase: "呼吁", weight: 3),
            Cue(phrase: "倡议", weight: 3), Cue(phrase: "献策", weight: 3), Cue(phrase: "能否增设", weight: 3),
            Cue(phrase: "增设", weight: 2), Cue(phrase: "能否开通", weight: 3), Cue(phrase: "希望增加", weight: 2),
            Cue(phrase: "希望开通", weight: 2), Cue(phrase: "可否考虑", weight: 2), Cue(phrase: "优化", weight: 1),
            Cue(phrase: "完善", weight: 1), Cue(phrase: "加快", weight: 1, subjectOnly: true),
        ],
        .consultation: [
            Cue(phrase: "咨询", weight: 3), Cue(phrase: "请问", weight: 3), Cue(phrase: "想问", weight: 3),
            Cue(phrase: "如何办理", weight: 3), Cue(phrase: "怎么办理", weight: 3), Cue(phrase: "怎样办理", weight: 3),
            Cue(phrase: "办理流程", weight: 2), Cue(phrase: "需要哪些", weight: 2), Cue(phrase: "什么条件", weight: 2),
            Cue(phrase: "有何政策", weight: 2), Cue(phrase: "是否可以", weight: 2), Cue(phrase: "是否需要", weight: 2),
            Cue(phrase: "是否符合", weight: 2), Cue(phrase: "能否", weight: 1), Cue(phrase: "何时", weight: 1),
            Cue(phrase: "什么时候", weight: 1), Cue(phrase: "吗？", weight: 2, subjectOnly: true),
            Cue(phrase: "吗?", weight: 2, subjectOnly: true), Cue(phrase: "？", weight: 1, subjectOnly: true),
            Cue(phrase: "?", weight: 1, subjectOnly: true),
        ],
        .complaint: [
            Cue(phrase: "投诉", weight: 3), Cue(phrase: "举报", weight: 3), Cue(phrase: "反映", weight: 2),
            Cue(phrase: "反应", weight: 1), Cue(phrase: "扰民", weight: 3), Cue(phrase: "噪音", weight: 2),
            Cue(phrase: "违建", weight: 3), Cue(phrase: "违章", weight: 2), Cue(phrase: "乱收费", weight: 3),
            Cue(phrase: "拖欠", weight: 3), Cue(phrase: "欠薪", weight: 3), Cue(phrase: "不作为", weight: 3),
            Cue(phrase: "污染", weight: 2), Cue(phrase: "占道", weight: 2), Cue(phrase: "违规", weight: 2),
            Cue(phrase: "违法", weight: 2), Cue(phrase: "是否合法", weight: 3), Cue(phrase: "恶臭", weight: 2),
            Cue(phrase: "油烟", weight: 2), Cue(phrase: "无证经营", weight: 3), Cue(phrase: "强制", weight: 2),
            Cue(phrase: "捆绑", weight: 2), Cue(phrase: "要求退还", weight: 2), Cue(phrase: "乱象", weight: 2),
            Cue(phrase: "没人管", weight: 2), Cue(phrase: "盼解决", weight: 2), Cue(phrase: "严重影响", weight: 2),
        ],
    ]

    /// A type other than complaint seen only in the body needs this score (two cues or one decisive
    /// word plus a hint): one "点赞" or "求助" inside a long complaint does not change its kind.
    static let bodyOnlyMinimum = 4

    public static func classify(subject: String, detail: String) -> RequestTypeDecision {
        // One pass over each field finds every cue in it (CueMatcher), instead of one search per cue.
        let inSubjectText = matcher.matches(in: Array(subject.utf8))
        let inDetailText = matcher.matches(in: Array(detail.utf8))
        var scores: [RequestType: Int] = [:]
        var inSubject: Set<RequestType> = []
        var evidence: [RequestType: [String]] = [:]
        var index = 0
        for type in priority {
            for cue in compiledCues[type] ?? [] {
                defer { index += 1 }
                if inSubjectText[index] {
                    scores[type, default: 0] += cue.weight * 3
                    inSubject.insert(type)
                    evidence[type, default: []].append("\(cue.phrase) (subject)")
                }
                if !cue.subjectOnly, inDetailText[index] {
                    scores[type, default: 0] += cue.weight
                    evidence[type, default: []].append("\(cue.phrase) (detail)")
                }
            }
        }
        for type in priority where type != .complaint && !inSubject.contains(type) && (scores[type] ?? 0) < bodyOnlyMinimum {
            if scores[type] != nil { scores[type] = 0; evidence[type] = nil }
        }
        let best = priority.max { a, b in
            let (sa, sb) = (scores[a] ?? 0, scores[b] ?? 0)
            // `max` keeps the last maximum, so rank earlier (more specific) types higher on ties.
            return sa != sb ? sa < sb : priority.firstIndex(of: a)! > priority.firstIndex(of: b)!
        }!
        guard let bestScore = scores[best], bestScore > 0 else {
            return RequestTypeDecision(type: .complaint, reason: "complaint: no cue words, complaint by default")
        }
        let runnerUp = priority.filter { $0 != best }.max { (scores[$0] ?? 0) < (scores[$1] ?? 0) }!
        let words = evidence[best, default: []].joined(separator: ", ")
        return RequestTypeDecision(
            type: best,
            reason: "\(best.rawValue) \(bestScore): \(words); next \(runnerUp.rawValue) \(scores[runnerUp] ?? 0)")
    }

    struct CompiledCue { var phrase: String; var bytes: [UInt8]; var weight: Int; var subjectOnly: Bool }

    static let compiledCues: [RequestType: [CompiledCue]] = cues.mapValues { list in
        list.map { CompiledCue(phrase: $0.phrase, bytes: Array($0.phrase.utf8), weight: $0.weight, subjectOnly: $0.subjectOnly) }
    }

    /// Every cue, in the order `classify` walks them (types by `priority`, then each type's list).
    static let matcher = CueMatcher(priority.flatMap { (compiledCues[$0] ?? []).map(\.bytes) })

    /// Byte-level substring test (the reference `CueMatcher` is checked against); UTF-8 is self-synchronising, so a match is always a whole-character match.
    /// glibc's `memmem` (two-way search, vectorised): some eighty cues are looked for in every message.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in civic_memmem(h.baseAddress, h.count, n.baseAddress, n.count) != nil }
        }
    }
}

/// Finds which of a fixed set of phrases occur in a text, in one pass: the phrases are bucketed by their first
/// character, and at each character of the text only the phrases starting with it are compared. UTF-8 is
/// self-synchronising, so a byte match at a character start is a whole-character match.
struct CueMatcher: Sendable {
    let phrases: [[UInt8]]
    /// Bucket (by a hash of a phrase's first character) → indexes of the phrases starting with that character.
    private let buckets: [[Int32]]
    private static let bucketBits = 10

    init(_ phrases: [[UInt8]]) {
        self.phrases = phrases
        var buckets = [[Int32]](repeating: [], count: 1 << Self.bucketBits)
        for (i, phrase) in phrases.enumerated() where !phrase.isEmpty {
            let length = min(Self.characterLength(phrase[0]), phrase.count)
            buckets[Self.bucket(Self.key(phrase, at: 0, length: length))].append(Int32(i))
        }
        self.buckets = buckets
    }

    /// For each phrase, whether it occurs in `text`.
    func matches(in text: [UInt8]) -> [Bool] {
        var found = [Bool](repeating: false, count: phrases.count)
        text.withUnsafeBufferPointer { t in
            var i = 0
            while i < t.count {
                let length = Self.characterLength(t[i])
                let end = min(i + length, t.count)
                for index in buckets[Self.bucket(Self.key(t, at: i, length: end - i))] {
                    let phrase = phrases[Int(index)]
                    guard !found[Int(index)], i + phrase.count <= t.count else { continue }
                    var same = true
                    for k in 0..<phrase.count where t[i + k] != phrase[k] { same = false; break }
                    if same { found[Int(index)] = true }
                }
                i = end
            }
        }
        return found
    }

    /// Bytes of the character a lead byte starts (1 for a stray continuation byte: it is skipped alone).
    static func characterLength(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    static func key<C: RandomAccessCollection>(_ bytes: C, at start: C.Index, length: Int) -> UInt32 where C.Element == UInt8, C.Index == Int {
        var key: UInt32 = 0
        for k in 0..<length { key = key << 8 | UInt32(bytes[start + k]) }
        return key
    }

    static func bucket(_ key: UInt32) -> Int { Int((key &* 0x9E37_79B1) >> (32 - UInt32(bucketBits))) }
}
