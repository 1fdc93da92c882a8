/// One subtitle file MPS reported for one output: the recognition, or one translation.
///
/// Read from the output's `AsrFullTextTask` and `TransTextTask` (with its `SubtitleResults`,
/// one per target language), so a multi-language translation keeps every language it produced.
public struct SubtitleFile: Sendable, Hashable, Codable {
    /// Which task produced the file.
    public enum Kind: String, Sendable, Hashable, Codable {
        case recognition
        case translation
    }

    public var kind: Kind
    /// The subtitle's language: recognition → `SubtitleInfo.Language`, else the echoed
    /// `VideoSrcLanguage` when it is not `auto`; translation → `TransDst`, else the echoed
    /// `TranslateDstLanguage` when it names one language.
    public var language: String?
    /// Translation only: `TransSrc` (else the echoed `VideoSrcLanguage` when not `auto`).
    public var sourceLanguage: String?
    /// As MPS reports it for this file (`Success`/`Error` in `SubtitleResults` and `SubtitleInfo`);
    /// nil when not reported.
    public var status: String?
    /// The file's path in the output storage.
    public var path: String?
    /// The file's URL, when MPS reports one for it.
    public var url: String?
    /// Segments summary: how many, and the end of the last one in seconds (nil when no `SegmentSet`).
    public var segmentCount: Int?
    public var lastSegmentEnd: Double?

    public init(
        kind: Kind, language: String? = nil, sourceLanguage: String? = nil, status: String? = nil,
        path: String? = nil, url: String? = nil, segmentCount: Int? = nil, lastSegmentEnd: Double? = nil
    ) {
        self.kind = kind
        self.language = language
        self.sourceLanguage = sourceLanguage
        self.status = status
        self.path = path
        self.url = url
        self.segmentCount = segmentCount
        self.lastSegmentEnd = lastSegmentEnd
    }
}
