import CivicCases

/// One way of writing a unit's name in free text.
struct PlaceNameForm: Hashable {
    /// How much a match of this form can be trusted on its own.
    enum Strength: Int, Comparable {
        /// Needs a district named in the same text (common words, generic or very short names).
        case weak
        /// A bare stem without suffix ("大智", "江岸"): trusted unless it is the start of a road name.
        case bare
        /// A full name or a name with an administrative suffix ("大智街道", "大智街", "江岸区").
        case full
        static func < (a: Strength, b: Strength) -> Bool { a.rawValue < b.rawValue }
    }

    var text: String
    var strength: Strength
}

/// Derives the written forms of unit names: official names, suffix variants and bare stems.
///
/// Conservative by design: stems that are ordinary words (和平, 新村, 车站 …), generic unit names
/// (开发区, 产业管理处) and road-like stems (中华路) are weak and only count next to their district.
enum PlaceNames {
    /// Bare stems that are everyday words or names found all over the country.
    static let commonWords: Set<String> = [
        "和平", "劳动", "前进", "车站", "球场", "新村", "中华", "胜利", "朝阳", "人民", "凤凰", "成功", "永安",
        "永丰", "长丰", "宝丰", "荣华", "长青", "常青", "天河", "东湖", "南湖", "北湖", "民族", "民权", "民意",
        "新华", "青山", "石山", "青林", "城关", "新庄", "大华", "共和", "大通", "城东", "城西", "城中", "城北",
        "火车站", "火车西站", "一元", "二七", "江堤", "大桥", "金水", "龙泉", "滨湖", "山坡", "安山", "大集",
        "张湾", "花山", "中南", "鹦鹉", "横店", "木兰", "旧街", "汉中", "易家", "梨园", "关东", "冶金", "东山",
        "台北", "水塔", "花楼", "桥头", "长宁", "极乐", "宝库", "日月", "礼让", "大众", "桐湖", "开发区", "产业",
    ]

    /// Words that mark a generic (non-place) name of a statistical unit.
    static let genericParts = ["产业", "工业", "物流", "服务业", "经济", "科技", "食品", "农科", "生物"]

    static let ethnicNames = ["蒙古族", "撒拉族", "土家族", "回族", "土族", "藏族", "苗族", "彝族", "壮族", "满族"]

    /// Suffixes stripped to reach shorter forms; the order matters (longest first).
    static let strippableSuffixes = [
        "高新技术产业园", "经济开发区", "管理委员会", "现代产业园", "汽车产业园", "风景旅游", "街道办事处",
        "办事处", "管委会", "管理处", "风景区", "产业园", "工业园", "街道", "花园", "片区", "新区", "大街", "镇", "乡", "街",
    ]

    /// Suffixes that make a form a full (suffixed) name when it is at least three characters long.
    static let adminSuffixes = [
        "街道", "街", "镇", "乡", "区", "县", "办事处", "管委会", "管理委员会", "管理处", "片区", "风景区", "产业园",
        "工业园", "花园", "场", "城", "集团",
    ]

    /// Forms of a district (or county) name: "江岸区" full, "江岸" bare; autonomous counties lose the ethnic part.
    static func districtForms(_ node: TopologyNode) -> [PlaceNameForm] {
        var out = [PlaceNameForm(text: node.name, strength: node.name.count >= 3 ? .full : .weak)]
        out += node.aliases.map { PlaceNameForm(text: $0, strength: .full) }
        var stem = node.name
        var suffix = ""
        for s in ["自治县", "自治旗", "区", "县", "市", "旗"] where stem.hasSuffix(s) {
            stem = String(stem.dropLast(s.count))
            suffix = s == "自治县" ? "县" : s == "自治旗" ? "旗" : s
            break
        }
        stem = dropEthnicSuffix(stem)
        if stem != node.name, stem.count >= 2 {
            if stem + suffix != node.name { out.append(PlaceNameForm(text: stem + suffix, strength: .full)) }
            out.append(PlaceNameForm(text: stem, strength: commonWords.contains(stem) ? .weak : .bare))
        }
        return out
    }

    /// Forms of a street-tier unit. `prefixes` are names that may lead the official name and are
    /// dropped ("武汉", the district stem, a sibling street); `reserved` are forms owned by districts.
    static func streetForms(_ node: TopologyNode, prefixes: [String], reserved: Set<String>) -> [PlaceNameForm] {
        var forms: [String: PlaceNameForm.Strength] = [:]
        func add(_ text: String, _ strength: PlaceNameForm.Strength) {
            guard text.count >= 2, !reserved.contains(text) else { return }
            if let old = forms[text], old >= strength { return }
            forms[text] = strength
        }
        // Official names are trusted whole, unless they are an ordinary word ("开发区") or very short ("桐湖").
        add(node.name, node.name.count >= 3 && !commonWords.contains(node.name) ? .full : .weak)
        for alias in node.aliases { add(alias, .full) }

        var base = node.name
        if let open = base.firstIndex(where: { $0 == "（" || $0 == "(" }) { base = String(base[..<open]) }
        let longestFirst = prefixes.sorted { $0.count > $1.count }
        func strips(_ prefix: String) -> Bool {
            guard base.hasPrefix(prefix), base.count - prefix.count >= 2 else { return false }
            // Never leave only suffixes ("蔡甸" + "街道", "青山" + "镇街道").
            var core = String(base.dropFirst(prefix.count))
            while let suffix = strippableSuffixes.first(where: { core.hasSuffix($0) }) { core.removeLast(suffix.count) }
            return core.count >= 2
        }
        while let prefix = longestFirst.first(where: strips) {
            base = String(base.dropFirst(prefix.count))
        }
        var work = [base]
        var seen = Set<String>()
        while let current = work.popLast() {
            guard seen.insert(current).inserted, current.count >= 2 else { continue }
            add(current, classify(current))
            guard let suffix = strippableSuffixes.first(where: { current.hasSuffix($0) && current.count > $0.count }) else { continue }
            let stem = dropEthnicSuffix(String(current.dropLast(suffix.count)))
            guard stem.count >= 2 else { continue }
            work.append(stem)
            if suffix == "管理委员会" { add(stem + "管委会", .full) }
            if (suffix == "镇" || suffix == "乡") && stem + suffix != current { add(stem + suffix, .full) }
            // "大智街道" is also written "大智街"; not for stems that already end in a road or unit word.
            if suffix == "街道", !["街", "路", "镇", "乡", "处", "会", "区"].contains(where: { stem.hasSuffix($0) }) {
                add(stem + "街", .full)
            }
        }
        return forms.map { PlaceNameForm(text: $0.key, strength: $0.value) }.sorted { $0.text < $1.text }
    }

    /// How far a derived form can be trusted on its own.
    static func classify(_ form: String) -> PlaceNameForm.Strength {
        if commonWords.contains(form) || genericParts.contains(where: { form.contains($0) }) { return .weak }
        if form.hasSuffix("路") || form.hasSuffix("大道") { return .weak }  // a road, not an area
        if form.count >= 3, adminSuffixes.contains(where: { form.hasSuffix($0) }) { return .full }
        return .bare
    }

    static func dropEthnicSuffix(_ stem: String) -> String {
        var s = stem
        var changed = true
        while changed {
            changed = false
            for e in ethnicNames where s.hasSuffix(e) && s.count > e.count + 1 {
                s = String(s.dropLast(e.count))
                changed = true
            }
        }
        return s
    }

    /// Phrases that contain a unit name but mean something else; matching them hides the name.
    static let stopPhrases: [String] = [
        "洪山广场", "洪山宾馆", "洪山礼堂", "洪山体育馆", "洪山路", "绿水青山", "青山绿水", "江汉大学", "江汉平原",
        "武昌鱼", "汉阳造", "东湖高新", "中南财经", "长江大桥", "二七长江", "常青藤", "凤凰网", "人民政府", "人民医院",
    ]
}
