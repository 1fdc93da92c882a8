/// One reason a `BatchProcessMedia` request (or a value inside it) would be refused.
///
/// `field` is the wire path of the offending value (`"InputInfo[0].UrlInputInfo.Url"`,
/// `"SmartSubtitlesTask.RawParameter.SubtitleType"`; empty for the body as a whole), and
/// `errorCode` is the MPS error code the real API would most likely answer with, so an emulator
/// can return it verbatim. The message never repeats a secret (`NotifyKey`, S3 keys) or a URL's
/// query string.
public struct ValidationProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// Wire path of the offending value; `""` means the request body itself.
    public var field: String
    /// What is wrong, naming the rule that was broken.
    public var message: String
    /// The MPS error code for this problem, e.g. `InvalidParameterValue.SubtitleType`.
    public var errorCode: String

    public init(field: String, message: String, errorCode: String) {
        self.field = field
        self.message = message
        self.errorCode = errorCode
    }

    public var description: String {
        "\(self.errorCode) \(self.field.isEmpty ? "(body)" : self.field): \(self.message)"
    }

    /// The same problem reported at another wire path (used when a type's own check runs inside the validator).
    func at(_ field: String) -> ValidationProblem {
        ValidationProblem(field: field, message: self.message, errorCode: self.errorCode)
    }
}

/// The MPS error codes the validator answers with (reference §7), spelled once.
enum ErrorCode {
    static let invalidParameter = "InvalidParameter"
    static let invalidParameterValue = "InvalidParameterValue"
    static let missingParameter = "MissingParameter"
    static let unknownParameter = "UnknownParameter"
    static let inputInfo = "InvalidParameter.InputInfo"
    static let inputInfoValue = "InvalidParameterValue.InputInfo"
    static let invalidURL = "InvalidParameter.InvalidUrl"
    static let output = "InvalidParameter.Output"
    static let sessionContextTooLong = "InvalidParameterValue.SessionContextTooLong"
    static let definition = "InvalidParameterValue.Definition"
    static let subtitleType = "InvalidParameterValue.SubtitleType"
    static let videoSrcLanguage = "InvalidParameterValue.VideoSrcLanguage"
    static let subtitleFormat = "InvalidParameterValue.SubtitleFormat"
    static let translateSwitch = "InvalidParameterValue.TranslateSwitch"
    static let translateDstLanguage = "InvalidParameterValue.TranslateDstLanguage"
    static let subtitleEmbedId = "InvalidParameterValue.SubtitleEmbedId"
    static let asrHotWordsSwitch = "InvalidParameterValue.AsrHotWordsSwitch"
    static let asrHotWordsLibraryId = "InvalidParameterValue.AsrHotWordsLibraryId"
}

/// A non-empty list of `ValidationProblem`s, usable as the failure of a `Result` (an array
/// cannot be an `Error`). It is a random-access collection of the problems, in report order.
public struct ValidationProblems: Error, Sendable, Hashable, RandomAccessCollection, CustomStringConvertible {
    /// The problems, in the order they were found.
    public let problems: [ValidationProblem]

    public init(_ problems: [ValidationProblem]) {
        self.problems = problems
    }

    public var startIndex: Int { self.problems.startIndex }
    public var endIndex: Int { self.problems.endIndex }
    public subscript(position: Int) -> ValidationProblem { self.problems[position] }

    public var description: String {
        self.problems.map(\.description).joined(separator: "; ")
    }
}
