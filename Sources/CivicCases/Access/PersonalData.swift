/// Masks a citizen's personal data for readers who may not see it (PersonalData.mask(_:)): the first
/// character of a name, the first three and last four digits of a phone number.
public enum PersonalData {
    /// "张三" → "张*", "欧阳修" → "欧**", "" → "".
    public static func maskName(_ name: String) -> String {
        guard let first = name.first else { return name }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }

    /// "13800000001" → "138****0001"; shorter numbers keep only their last two digits.
    public static func maskPhone(_ phone: String) -> String {
        let chars = Array(phone)
        guard !chars.isEmpty else { return phone }
        if chars.count >= 11 { return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4)) }
        let keep = min(2, chars.count - 1)
        return String(repeating: "*", count: chars.count - keep) + String(chars.suffix(keep))
    }

    /// The case with its citizen masked.
    public static func mask(_ c: Case) -> Case {
        var masked = c
        masked.citizen.name = c.citizen.name.map(maskName)
        masked.citizen.phone = c.citizen.phone.map(maskPhone)
        return masked
    }
}
