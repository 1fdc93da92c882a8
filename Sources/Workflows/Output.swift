public import MPS

/// Where one output (one input URL of a step) stands, as MPS reports it.
public enum OutputState: String, Sendable, Hashable, CaseIterable, Codable {
    case waiting = "WAITING"
    case processing = "PROCESSING"
    case success = "SUCCESS"
    case fail = "FAIL"

    /// SUCCESS and FAIL are final: no report changes them.
    public var isFinal: Bool { self == .success || self == .fail }

    /// Progress order; SUCCESS and FAIL are equally far.
    var rank: Int {
        switch self {
        case .waiting: 0
        case .processing: 1
        case .success, .fail: 2
        }
    }

    /// The domain state of an MPS wire status (nil for a value MPS does not define).
    public init?(_ status: MPS.OutputStatus) {
        self.init(rawValue: status.rawValue)
    }
}

/// One output of a step: one input URL, its state, and every subtitle file MPS reported for it.
public struct OutputRecord: Sendable, Hashable {
    /// The input's place in the step's `InputInfo` (MPS reports `Outputs[i]` for input `i`).
    public var inputIndex: Int
    /// The input's place in the job's inputs: the same video across steps.
    public var jobInputIndex: Int
    public var inputURL: String
    public var state: OutputState
    /// 0–100, as last reported.
    public var progress: Int
    /// The main subtitle's path and URL (translation first, else recognition), as MPS gives them.
    public var subtitlePath: String?
    public var subtitleURL: String?
    /// Set only for `FAIL`.
    public var errorCode: String?
    public var errorMessage: String?
    /// Every subtitle file reported: recognition and each translation, per language.
    public var files: [SubtitleFile]
    /// The input's media duration in seconds as MPS reported it (`Metadatas[i].Duration`), taken
    /// from the report that made this output `SUCCESS`; nil until then, or when that report had none.
    public var mediaSeconds: Double?

    public init(
        inputIndex: Int, jobInputIndex: Int, inputURL: String, state: OutputState = .waiting, progress: Int = 0,
        subtitlePath: String? = nil, subtitleURL: String? = nil, errorCode: String? = nil, errorMessage: String? = nil,
        files: [SubtitleFile] = [], mediaSeconds: Double? = nil
    ) {
        self.inputIndex = inputIndex
        self.jobInputIndex = jobInputIndex
        self.inputURL = inputURL
        self.state = state
        self.progress = progress
        self.subtitlePath = subtitlePath
        self.subtitleURL = subtitleURL
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.files = files
        self.mediaSeconds = mediaSeconds
    }

    /// Whether a report of `state` at `progress` is news for this output: a later state, or more
    /// progress within the same one. A final output takes no news; an older report is not news.
    public func admits(_ state: OutputState, progress: Int) -> Bool {
        if self.state.isFinal { return false }
        if state.rank != self.state.rank { return state.rank > self.state.rank }
        return progress > self.progress
    }

    /// This output with `report` merged in, or nil when the report is not news (``admits(_:progress:)``).
    /// Merging is forward-only: whatever order duplicates and late reports come in, the result
    /// is the most advanced report.
    public func merging(_ report: NotificationReport.Output) -> OutputRecord? {
        guard let status = report.status, let state = OutputState(status) else { return nil }
        let progress = min(100, max(0, report.progress ?? (state.isFinal ? 100 : 0)))
        guard admits(state, progress: progress) else { return nil }
        var merged = self
        merged.state = state
        merged.progress = progress
        merged.subtitlePath = report.path
        merged.subtitleURL = report.subtitleURL
        merged.errorCode = state == .fail ? report.errorCode : nil
        merged.errorMessage = state == .fail ? report.message : nil
        merged.files = report.files
        // Only a finished input counts as processed media; a report without a duration does
        // not erase one already known.
        if state == .success { merged.mediaSeconds = report.mediaSeconds ?? mediaSeconds }
        return merged
    }

    /// This output ended `FAIL` without a task (the step was refused before MPS ran anything).
    public func failed(code: String, message: String) -> OutputRecord {
        guard !state.isFinal else { return self }
        var failed = self
        failed.state = .fail
        failed.errorCode = code
        failed.errorMessage = message
        return failed
    }

    /// The languages this output's files are in (recognition and translations).
    public var languages: Set<String> {
        Set(files.compactMap(\.language))
    }
}
