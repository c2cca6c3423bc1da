import Foundation

/// Why a model file could not be written or read.
public enum TopicModelFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case notAModelFile(path: String)
    case unsupportedVersion(path: String, found: UInt32, supported: UInt32)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read model \(path): \(reason)"
        case .unwritable(let path, let reason): "cannot write model \(path): \(reason)"
        case .notAModelFile(let path): "\(path) is not a CivicTopic model file (bad magic)"
        case .unsupportedVersion(let path, let found, let supported):
            "\(path) is model format version \(found); this build reads version \(supported)"
        case .corrupt(let path, let reason): "model \(path) is corrupt: \(reason)"
        }
    }
}

/// Binary model format, little-endian:
/// magic "CIVTOPIC", UInt32 version, UInt32 header length, JSON header, UInt64 keys[features],
/// Float32 idf[features], Float32 weights[features × classes], Float32 bias[classes], UInt64 FNV-1a checksum
/// of everything before it. The checksum catches truncation and bit rot before any number is trusted.
enum TopicModelFile {
    static let magic = Array("CIVTOPIC".utf8)
    /// Version 2 added per-field calibration, the confidence measure and taxonomy phrases to the header.
    /// A build reads only its own version: version 1 files (and 1-only builds) refuse with a clear message
    /// rather than predict from a header they half understand. Retrain with `civicmesh classify train`.
    static let version: UInt32 = 2

    struct Header: Codable {
        var labels: [String]
        var threshold: Double
        var calibrationScales: [Double]
        var features: FeatureSettings
        var featureCount: Int
        var confidenceMeasure: ConfidenceMeasure
    }

    static func encode(_ model: TopicModel) -> Data {
        var bytes = magic
        let header = Header(
            labels: model.labels, threshold: model.threshold, calibrationScales: model.calibrationScales,
            features: model.space.settings, featureCount: model.space.count,
            confidenceMeasure: model.confidenceMeasure)
        let json = Array((try? JSONEncoder().encode(header)) ?? Data())
        appendInteger(version, to: &bytes)
        appendInteger(UInt32(json.count), to: &bytes)
        bytes += json
        bytes.reserveCapacity(bytes.count + model.space.count * (12 + 4 * model.labels.count) + 64)
        for key in model.space.keys { appendInteger(key, to: &bytes) }
        for value in model.space.idf { appendInteger(value.bitPattern, to: &bytes) }
        for value in model.svm.weights { appendInteger(value.bitPattern, to: &bytes) }
        for value in model.svm.bias { appendInteger(value.bitPattern, to: &bytes) }
        appendInteger(checksum(bytes[...]), to: &bytes)
        return Data(bytes)
    }

    static func decode(_ data: Data, path: String) throws -> TopicModel {
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else {
            throw TopicModelFileError.notAModelFile(path: path)
        }
        var reader = ByteReader(bytes: bytes, position: magic.count, path: path)
        let found: UInt32 = try reader.integer()
        guard found == version else {
            throw TopicModelFileError.unsupportedVersion(path: path, found: found, supported: version)
        }
        guard bytes.count >= 8 + magic.count + 8 else { throw TopicModelFileError.corrupt(path: path, reason: "truncated") }
        let stored = bytes[(bytes.count - 8)...].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard checksum(bytes[..<(bytes.count - 8)]) == stored else {
            throw TopicModelFileError.corrupt(path: path, reason: "checksum mismatch (truncated or modified)")
        }
        let headerLength: UInt32 = try reader.integer()
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(try reader.take(Int(headerLength))))
        } catch let error as TopicModelFileError {
            throw error
        } catch {
            throw TopicModelFileError.corrupt(path: path, reason: "unreadable header: \(error)")
        }
        let features = header.featureCount, classes = header.labels.count
        guard features >= 0, classes >= 1, Set(header.labels).count == classes, header.calibrationScales.count == 2 else {
            throw TopicModelFileError.corrupt(path: path, reason: "header has \(classes) labels, \(features) features")
        }
        let expected = features * (8 + 4 + 4 * classes) + 4 * classes + 8
        guard bytes.count - reader.position == expected else {
            throw TopicModelFileError.corrupt(
                path: path, reason: "payload is \(bytes.count - reader.position) bytes, header implies \(expected)")
        }
        let keys: [UInt64] = try (0..<features).map { _ in try reader.integer() }
        let idf: [Float] = try (0..<features).map { _ in Float(bitPattern: try reader.integer()) }
        let weights: [Float] = try (0..<(features * classes)).map { _ in Float(bitPattern: try reader.integer()) }
        let bias: [Float] = try (0..<classes).map { _ in Float(bitPattern: try reader.integer()) }
        let space = FeatureSpace(settings: header.features, keys: keys, idf: idf)
        guard space.count == Set(keys).count else {
            throw TopicModelFileError.corrupt(path: path, reason: "duplicate feature keys")
        }
        return TopicModel(
            labels: header.labels, space: space, svm: LinearSVM(weights: weights, bias: bias, classCount: classes),
            calibrationScales: header.calibrationScales, threshold: header.threshold,
            confidenceMeasure: header.confidenceMeasure)
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Sequential little-endian reads with bounds checks that name the file.
private struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    let path: String

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, position + count <= bytes.count else {
            throw TopicModelFileError.corrupt(path: path, reason: "truncated at byte \(position)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func integer<T: FixedWidthInteger>() throws -> T {
        let slice = try take(MemoryLayout<T>.size)
        return slice.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }
}

extension TopicModel {
    /// Writes the model atomically (temporary file, then rename).
    public func save(to path: String) throws {
        do {
            try TopicModelFile.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TopicModelFileError.unwritable(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads a model written by `save`; throws `TopicModelFileError` for a wrong, old or damaged file.
    public static func load(from path: String) throws -> TopicModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TopicModelFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try TopicModelFile.decode(data, path: path)
    }
}
