import Foundation
import Testing
@testable import CivicTopic

@Suite struct TopicModelFileTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("topic-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    @Test func roundTripGivesIdenticalPredictions() throws {
        defer { cleanUp() }
        let model = TopicModelTests.model
        let path = directory.appendingPathComponent("model.bin").path
        try model.save(to: path)
        let loaded = try TopicModel.load(from: path)
        #expect(loaded.labels == model.labels)
        #expect(loaded.threshold == model.threshold)
        #expect(loaded.confidenceMeasure == model.confidenceMeasure)
        #expect(loaded.featureCount == model.featureCount)
        for message in DefaultTopicExamples.messages.prefix(40) + [LabeledMessage(subject: "新的句子", label: "")] {
            let a = model.predict(subject: message.subject, detail: message.detail)
            let b = loaded.predict(subject: message.subject, detail: message.detail)
            #expect(a == b)
        }
    }

    @Test func savedThresholdOverrideSurvivesRoundTrip() throws {
        defer { cleanUp() }
        let path = directory.appendingPathComponent("strict.bin").path
        try TopicModelTests.model.withThreshold(0.4242).save(to: path)
        #expect(try TopicModel.load(from: path).threshold == 0.4242)
    }

    @Test func corruptedByteIsDetected() throws {
        defer { cleanUp() }
        let path = directory.appendingPathComponent("model.bin").path
        try TopicModelTests.model.save(to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try TopicModel.load(from: path)
        } throws: { error in
            guard case TopicModelFileError.corrupt(let where_, _) = error else { return false }
            return where_ == path
        }
    }

    @Test func truncatedFileIsDetected() throws {
        defer { cleanUp() }
        let path = directory.appendingPathComponent("model.bin").path
        try TopicModelTests.model.save(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: TopicModelFileError.self) { try TopicModel.load(from: path) }
    }

    @Test func wrongFileAndOtherVersionsAreRejected() throws {
        defer { cleanUp() }
        let text = directory.appendingPathComponent("notes.txt").path
        try Data("subject,category\n".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: TopicModelFileError.notAModelFile(path: text)) { try TopicModel.load(from: text) }

        var bytes = [UInt8](TopicModelFile.encode(TopicModelTests.model))
        bytes[8] = 99  // version field, little-endian
        let future = directory.appendingPathComponent("future.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: future))
        #expect(throws: TopicModelFileError.unsupportedVersion(path: future, found: 99, supported: TopicModelFile.version)) {
            try TopicModel.load(from: future)
        }
        // A version 1 file (single calibration scale, no confidence measure) gets a clear refusal, not "corrupt".
        bytes[8] = 1
        let older = directory.appendingPathComponent("v1.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: older))
        #expect(throws: TopicModelFileError.unsupportedVersion(path: older, found: 1, supported: TopicModelFile.version)) {
            try TopicModel.load(from: older)
        }
        let missing = directory.appendingPathComponent("absent.bin").path
        #expect(throws: TopicModelFileError.self) { try TopicModel.load(from: missing) }
    }
}
