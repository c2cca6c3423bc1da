import CivicTopic
import Foundation

// `civicmesh classify …`: train, evaluate, cross-validate and try the topic classifier.

private let classifyUsage = """
    usage: civicmesh classify train --data CSV --model FILE [--unlabelled CSV]… [--taxonomy CSV]
                                    [--target-precision 0.97]
           civicmesh classify eval  --model FILE --data CSV [--json]
           civicmesh classify cv    --data CSV [--folds 5] [--unlabelled CSV]… [--taxonomy CSV]
                                    [--target-precision 0.97] [--json]
           civicmesh classify text  [--model FILE] [--detail TEXT] "subject text"
    --unlabelled (repeatable) adds messages without topics (columns subject[, detail]) as extra text;
    those whose subject equals a labelled subject are ignored.
    --taxonomy reads an official topic catalogue (columns level1, level2[, level3]; level1 = the topics):
    messages mentioning one of its phrases get a feature for the phrase's topic; the model keeps the phrases.
    Without --model, `text` uses a model trained on the built-in example messages.
    """

/// Runs one classify subcommand; `args` are the words after "classify". Returns the exit code.
public func classifyCommand(_ args: [String]) -> Int32 {
    guard let subcommand = args.first else { return classifyFail("missing subcommand\n\(classifyUsage)") }
    do {
        let options = try ClassifyOptions(Array(args.dropFirst()))
        switch subcommand {
        case "train": return try classifyTrain(options)
        case "eval": return try classifyEval(options)
        case "cv": return try classifyCrossValidate(options)
        case "text": return try classifyText(options)
        case "help", "--help", "-h":
            print(classifyUsage)
            return 0
        default: return classifyFail("unknown subcommand \"\(subcommand)\"\n\(classifyUsage)")
        }
    } catch {
        return classifyFail("\(error)")
    }
}

/// The classify options, parsed by the one argument parser every command uses.
private struct ClassifyOptions {
    let arguments: Arguments
    var json: Bool { arguments.has("json") }
    var positional: [String] { arguments.positional }

    init(_ args: [String]) throws {
        arguments = try Arguments(args, options: ["data", "model", "folds", "target-precision", "detail", "taxonomy"],
                                  flags: ["json"], repeatable: ["unlabelled"])
    }

    /// The value of `--name`; `name` is spelled with its dashes, as the usage shows it.
    subscript(_ name: String) -> String? { arguments[String(name.dropFirst(2))] }

    func required(_ name: String) throws -> String {
        guard let value = self[name] else { throw UsageError("missing \(name)\n\(classifyUsage)") }
        return value
    }

    func unlabelled() throws -> [UnlabelledMessage] {
        try arguments.all("unlabelled").flatMap { try MessageCSV.loadUnlabelled(path: $0) }
    }

    func taxonomy() throws -> [TaxonomyEntry] {
        try self["--taxonomy"].map { try TaxonomyCSV.load(path: $0) } ?? []
    }

    func trainingOptions() throws -> TrainingOptions {
        var options = TrainingOptions()
        if let text = self["--target-precision"] {
            guard let target = Double(text), target > 0, target <= 1 else {
                throw UsageError("--target-precision must be in (0, 1], got \(text)")
            }
            options.targetPrecision = target
        }
        return options
    }
}

private func classifyFail(_ message: String) -> Int32 {
    FileHandle.standardError.write(Data("classify: \(message)\n".utf8))
    return 2
}

private func classifySeconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

private func classifyTrain(_ options: ClassifyOptions) throws -> Int32 {
    let data = try MessageCSV.load(path: try options.required("--data"))
    let modelPath = try options.required("--model")
    guard !data.isEmpty else { throw UsageError("no messages in the data file") }
    let unlabelled = try options.unlabelled()
    let taxonomy = try options.taxonomy()
    let start = DispatchTime.now()
    let model = TopicTrainer(options: try options.trainingOptions()).train(data, unlabelled: unlabelled, taxonomy: taxonomy)
    let elapsed = classifySeconds(since: start)
    try model.save(to: modelPath)
    let size = (try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? Int) ?? 0
    print("trained on \(data.count) messages in \(String(format: "%.2f", elapsed)) s")
    print("labels: \(model.labels.joined(separator: ", "))")
    if model.taxonomyPhraseCount > 0 { print("taxonomy phrases: \(model.taxonomyPhraseCount)") }
    print("features: \(model.featureCount), threshold: \(String(format: "%.4f", model.threshold)) (\(model.confidenceMeasure.rawValue))")
    print("saved \(modelPath) (\(size / 1024) KiB)")
    return 0
}

private func classifyEval(_ options: ClassifyOptions) throws -> Int32 {
    let model = try TopicModel.load(from: try options.required("--model"))
    let data = try MessageCSV.load(path: try options.required("--data"))
    let start = DispatchTime.now()
    let evaluation = TopicEvaluation.evaluate(model: model, on: data)
    let perMessage = data.isEmpty ? 0 : classifySeconds(since: start) / Double(data.count)
    if options.json {
        print(evaluation.jsonString())
    } else {
        print(evaluation.table())
        print(String(format: "threshold %.4f, classify time %.1f µs per message", model.threshold, perMessage * 1e6))
    }
    return 0
}

private func classifyCrossValidate(_ options: ClassifyOptions) throws -> Int32 {
    let data = try MessageCSV.load(path: try options.required("--data"))
    let foldsText = options["--folds"] ?? "5"
    guard let folds = Int(foldsText), folds >= 2, folds <= data.count else {
        throw UsageError("--folds must be an integer from 2 to the number of messages, got \(foldsText)")
    }
    let unlabelled = try options.unlabelled()
    let taxonomy = try options.taxonomy()
    let start = DispatchTime.now()
    let evaluation = TopicEvaluation.crossValidate(
        data, folds: folds, options: try options.trainingOptions(), unlabelled: unlabelled, taxonomy: taxonomy)
    if options.json {
        print(evaluation.jsonString())
    } else {
        print(evaluation.table())
        print(String(format: "%d-fold cross-validation took %.1f s", folds, classifySeconds(since: start)))
    }
    return 0
}

private func classifyText(_ options: ClassifyOptions) throws -> Int32 {
    let subject = options.positional.joined(separator: " ")
    let detail = options["--detail"] ?? ""
    guard !subject.isEmpty || !detail.isEmpty else {
        throw UsageError("give the message text\n\(classifyUsage)")
    }
    let model = try options["--model"].map { try TopicModel.load(from: $0) }
        ?? TopicTrainer().train(DefaultTopicExamples.messages)
    let prediction = model.predict(subject: subject, detail: detail)
    print("topic: \(prediction.best.label)")
    print(String(format: "probability: %.3f, ", prediction.best.probability) + model.confidenceMeasure.rawValue
        + String(format: " %.3f (threshold %.3f)", prediction.confidence, model.threshold))
    print("confident: \(prediction.confident ? "yes" : "no, send to a human")")
    for (rank, guess) in prediction.top.enumerated() {
        print("  \(rank + 1). \(guess.label)  \(String(format: "%.3f", guess.probability))")
    }
    return 0
}
