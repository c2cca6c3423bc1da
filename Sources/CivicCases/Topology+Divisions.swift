import Foundation

/// Why a divisions file could not be turned into a topology.
public enum DivisionsImportError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not JSON at all.
    case notJSON(detail: String)
    /// A required field is absent, e.g. `districts[3].streets[0].code`.
    case missingField(path: String)
    /// A field has the wrong JSON type or an empty value.
    case invalidField(path: String, expected: String)
    /// Two units share one division code.
    case duplicateCode(code: String, path: String)

    public var description: String {
        switch self {
        case .notJSON(let detail): return "divisions file is not valid JSON: \(detail)"
        case .missingField(let path): return "divisions file: missing field \(path)"
        case .invalidField(let path, let expected): return "divisions file: field \(path) must be \(expected)"
        case .duplicateCode(let code, let path): return "divisions file: code \(code) at \(path) is used twice"
        }
    }
}

extension Topology {
    /// Builds a three-tier topology from a divisions file of the form
    /// `{province, city: {code, name}, districts: [{code, name, streets: [{code, name, kind}]}]}`.
    ///
    /// Ids are derived from the official codes ("city", "d420102", "s420102002") so that they stay
    /// stable when the file is regenerated. `kind` is optional; names and codes are required.
    public static func fromDivisions(json: Data, casePrefix: String? = nil) throws -> Topology {
        let file: DivisionsFile
        do {
            file = try JSONDecoder().decode(DivisionsFile.self, from: json)
        } catch let error as DecodingError {
            throw DivisionsImportError(error)
        } catch {
            throw DivisionsImportError.notJSON(detail: "\(error)")
        }
        var seenCodes: [String: String] = [:]
        func claim(_ code: String, at path: String) throws {
            guard !code.isEmpty, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw DivisionsImportError.invalidField(path: path, expected: "a non-empty string of digits")
            }
            if seenCodes[code] != nil { throw DivisionsImportError.duplicateCode(code: code, path: path) }
            seenCodes[code] = path
        }
        func requireName(_ name: String, at path: String) throws {
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                throw DivisionsImportError.invalidField(path: path, expected: "a non-empty name")
            }
        }

        try claim(file.city.code, at: "city.code")
        try requireName(file.city.name, at: "city.name")
        var districts: [TopologyNode] = []
        for (di, district) in file.districts.enumerated() {
            try claim(district.code, at: "districts[\(di)].code")
            try requireName(district.name, at: "districts[\(di)].name")
            var streets: [TopologyNode] = []
            for (si, street) in (district.streets ?? []).enumerated() {
                try claim(street.code, at: "districts[\(di)].streets[\(si)].code")
                try requireName(street.name, at: "districts[\(di)].streets[\(si)].name")
                streets.append(TopologyNode(id: "s" + street.code, tier: .street, name: street.name, codes: [street.code]))
            }
            districts.append(TopologyNode(
                id: "d" + district.code, tier: .district, name: district.name, codes: [district.code], children: streets))
        }
        let root = TopologyNode(id: "city", tier: .city, name: file.city.name, codes: [file.city.code], children: districts)
        let prefix = casePrefix ?? defaultCasePrefix(cityName: file.city.name, cityCode: file.city.code)
        return Topology(casePrefix: prefix, root: root)
    }

    /// Customary two-letter prefixes for a few cities; any other city gets "C" + its code.
    static func defaultCasePrefix(cityName: String, cityCode: String) -> String {
        let known: [String: String] = [
            "武汉": "WH", "西宁": "XN", "北京": "BJ", "上海": "SH", "广州": "GZ", "深圳": "SZ", "天津": "TJ",
            "重庆": "CQ", "成都": "CD", "杭州": "HZ", "南京": "NJ", "长沙": "CS", "西安": "XA", "郑州": "ZZ",
        ]
        let stem = cityName.hasSuffix("市") ? String(cityName.dropLast()) : cityName
        return known[stem] ?? "C" + cityCode
    }
}

/// The on-disk shape of a divisions file (only the fields the topology needs).
private struct DivisionsFile: Decodable {
    struct Unit: Decodable { var code: String; var name: String }
    struct Street: Decodable { var code: String; var name: String; var kind: String? }
    struct District: Decodable { var code: String; var name: String; var streets: [Street]? }
    var city: Unit
    var districts: [District]
}

extension DivisionsImportError {
    /// Maps Foundation's decoding error to a message that names the field by its JSON path.
    init(_ error: DecodingError) {
        func render(_ path: [any CodingKey]) -> String {
            var out = ""
            for key in path {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "(top level)" : out
        }
        switch error {
        case .keyNotFound(let key, let context):
            self = .missingField(path: render(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            self = .missingField(path: render(context.codingPath))
        case .typeMismatch(let type, let context):
            self = .invalidField(path: render(context.codingPath), expected: "\(type)")
        case .dataCorrupted(let context):
            self = context.codingPath.isEmpty
                ? .notJSON(detail: context.debugDescription)
                : .invalidField(path: render(context.codingPath), expected: context.debugDescription)
        @unknown default:
            self = .notJSON(detail: "\(error)")
        }
    }
}
