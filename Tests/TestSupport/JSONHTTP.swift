import CivicHTTP
import Foundation

/// A JSON answer from a node's HTTP API.
public struct JSONResponse: @unchecked Sendable {
    public let status: Int
    public let json: [String: Any]
    public let text: String

    public subscript(_ key: String) -> Any? { json[key] }
    public func string(_ path: String...) -> String? { value(path) as? String }
    public func object(_ path: String...) -> [String: Any]? { value(path) as? [String: Any] }
    public func array(_ path: String...) -> [[String: Any]]? { value(path) as? [[String: Any]] }

    private func value(_ path: [String]) -> Any? {
        var current: Any? = json
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}

public enum API {
    /// `token`: nil sends the admin token registered for the URL's node (`TestTokens`), "" sends none.
    public static func request(_ method: String, _ url: String, _ body: [String: Any]? = nil, raw: [UInt8]? = nil, token: String? = nil) throws -> JSONResponse {
        let bytes = try raw ?? body.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }
        var headers: [String: String] = bytes == nil ? [:] : ["Content-Type": "application/json"]
        if let t = token ?? TestTokens.token(forURL: url), !t.isEmpty { headers["Authorization"] = "Bearer \(t)" }
        let r = try HTTPClient.send(method: method, url: url, body: bytes, headers: headers, timeout: 15)
        let json = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any] ?? [:]
        return JSONResponse(status: r.status, json: json, text: r.text)
    }

    public static func get(_ url: String, token: String? = nil) throws -> JSONResponse { try request("GET", url, token: token) }
    public static func post(_ url: String, _ body: [String: Any], token: String? = nil) throws -> JSONResponse { try request("POST", url, body, token: token) }
}
