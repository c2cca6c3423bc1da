import CivicHTTP
import Foundation

/// Case commands talk to a node's HTTP API, like any integrator would.
enum CaseCommands {
    static let defaultURL = "http://127.0.0.1:7400"

    static func submit(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "submit")
        var body: [String: String] = ["subject": try a.required("subject")]
        let fields = ["detail": "detail", "address": "address", "division": "division", "channel": "channel",
                      "name": "citizen_name", "phone": "citizen_phone", "category": "category"]
        for (option, field) in fields { if let v = a[option] { body[field] = v } }
        return try call("POST", a, "/api/cases", body)
    }

    static func assign(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "assign")
        guard let id = a.positional.first else { throw UsageError("assign needs a case id") }
        var body: [String: Any] = ["target": try a.required("target")]
        if let category = a["category"] { body["category"] = category }
        if let department = a["department"] { body["department"] = department }
        if let reason = a["reason"] { body["reason"] = reason }
        if a.has("ruling") { body["ruling"] = true }
        return try call("POST", a, "/api/cases/\(id)/assign", body)
    }

    static func caseAction(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "case")
        guard a.positional.count == 2 else { throw UsageError("case needs an action and a case id, e.g. `case show WH-20261121-000001`") }
        let (verb, id) = (a.positional[0], a.positional[1])
        if verb == "show" { return try call("GET", a, "/api/cases/\(id)", nil) }
        var body: [String: Any] = [:]
        for key in ["note", "reply", "reason", "until", "satisfaction", "comment", "then", "finding", "part"] { if let v = a[key] { body[key] = v } }
        if let units = a["units"] { body["units"] = units.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let t = a["answer-by"] { body["answer_by"] = t }
        for key in ["solved", "upheld"] {
            guard let v = a[key] else { continue }
            guard let yes = ["yes": true, "true": true, "no": false, "false": false][v] else { throw UsageError("--\(key) \(v): use yes or no") }
            body[key] = yes
        }
        // The CLI's short verbs for the extension answers; every other verb is the endpoint's own name.
        let endpoint = ["approve": "approve_extension", "refuse": "refuse_extension"][verb] ?? verb.replacingOccurrences(of: "-", with: "_")
        return try call("POST", a, "/api/cases/\(id)/\(endpoint)", body)
    }

    static func list(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, command: "cases")
        var pairs = ["state", "node", "limit", "after"].compactMap { k in a[k].map { "\(k)=\(percentEncode($0))" } }
        if a.has("overdue") { pairs.append("overdue=true") }
        if a.has("supervised") { pairs.append("supervised=true") }
        if a.has("parts") { pairs.append("parts=true") }
        if let t = a["due-before"] { pairs.append("due_before=\(percentEncode(t))") }
        let query = pairs.joined(separator: "&")
        return try call("GET", a, "/api/cases" + (query.isEmpty ? "" : "?" + query), nil)
    }

    /// Prints the JSON response; exit status 0 for 2xx, 1 otherwise.
    static func call(_ method: String, _ a: Arguments, _ path: String, _ body: [String: Any]?) throws -> Int32 {
        let base = a["url"] ?? defaultURL
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        let url = base.hasSuffix("/") ? String(base.dropLast()) + path : base + path
        var headers: [String: String] = data == nil ? [:] : ["Content-Type": "application/json"]
        if let token = CLIToken.resolve(a, url: base) { headers["Authorization"] = "Bearer \(token)" }
        let response = try HTTPClient.send(method: method, url: url, body: data.map { [UInt8]($0) }, headers: headers)
        if response.status == 401 { printError("civicmesh: the node wants a token: pass --token, set CIVICMESH_TOKEN, or run from the folder of a local `up`") }
        print(prettyJSON(response.body) ?? response.text)
        return (200..<300).contains(response.status) ? 0 : 1
    }

    static func prettyJSON(_ bytes: [UInt8]) -> String? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let data = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func percentEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? s
    }
}
