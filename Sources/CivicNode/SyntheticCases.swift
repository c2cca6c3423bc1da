import Foundation

/// Distinct case texts for benchmarks and tests, so duplicate detection (rightly) does not link them:
/// a realistic subject plus a run of pseudo-random characters, deterministic in `n`.
public enum SyntheticCases {
    static let topics = ["路灯不亮", "噪音扰民", "井盖缺失", "垃圾清运不及时", "占道经营", "道路积水", "油烟污染", "违章停车",
                         "供暖不热", "电梯故障", "树木倒伏", "楼道堆物", "广场舞扰民", "下水道堵塞", "公交站牌损坏", "施工粉尘"]

    public static func subject(_ n: Int) -> String { topics[n % topics.count] + noise(n, salt: 1, count: 6) }

    public static func detail(_ n: Int) -> String { "反映\(topics[n % topics.count])：" + noise(n, salt: 2, count: 40) + "。请尽快处理。" }

    /// A detail of about `bytes` bytes of UTF-8 (each character is three).
    public static func detail(_ n: Int, bytes: Int) -> String {
        "反映\(topics[n % topics.count])：" + noise(n, salt: 2, count: max(1, (bytes - 45) / 3)) + "。请尽快处理。"
    }

    /// Characters drawn from the 3,000 most common CJK code points' range, by a xorshift stream seeded with n.
    static func noise(_ n: Int, salt: UInt64, count: Int) -> String {
        var seed = (UInt64(n) &+ 1) &* 0x9E37_79B9_7F4A_7C15 ^ salt
        var out = ""
        for _ in 0..<count {
            seed ^= seed >> 12; seed ^= seed << 25; seed ^= seed >> 27
            let code = 0x4E00 + Int((seed &* 0x2545_F491_4F6C_DD1D) >> 40) % 3000
            out.unicodeScalars.append(Unicode.Scalar(code)!)
        }
        return out
    }
}
