/// A small built-in training set written by the CivicMesh authors (not taken from any data set),
/// so a new city node can sort messages by topic before it has a history of its own.
/// Replace it with a model trained on local, labelled messages as soon as there are some.
public enum DefaultTopicExamples {
    /// The seven first-level topics of the provincial 12345 taxonomy that these examples cover.
    public static let labels = ["城乡建设", "劳动和社会保障", "教育文体", "商贸旅游", "环境保护", "卫生计生", "交通运输"]

    public static let messages: [LabeledMessage] = {
        let groups: [(String, [(String, String)])] = [
            ("城乡建设", DefaultTopicExamplesText.urbanConstruction),
            ("劳动和社会保障", DefaultTopicExamplesText.labourAndSocialSecurity),
            ("教育文体", DefaultTopicExamplesText.educationCultureSport),
            ("商贸旅游", DefaultTopicExamplesText.commerceAndTourism),
            ("环境保护", DefaultTopicExamplesText.environment),
            ("卫生计生", DefaultTopicExamplesText.healthAndFamilyPlanning),
            ("交通运输", DefaultTopicExamplesText.transport),
        ]
        return groups.flatMap { label, texts in
            texts.map { LabeledMessage(subject: $0.0, detail: $0.1, label: label) }
        }
    }()
}
