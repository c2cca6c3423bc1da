/// A small built-in training set written by the CivicMesh authors, so a new city node can sort
/// messages by topic before it has any history of its own. Replace it with local data when available.
public enum DefaultTopicExamples {
    public static let messages: [LabeledMessage] = []
}
