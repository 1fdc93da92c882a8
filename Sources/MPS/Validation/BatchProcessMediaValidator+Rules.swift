/// The rules that span fields or depend on values, run after the schema walk. Each rule reads
/// values only through the typed accessors below, which return `nil` for a wrong JSON type,
/// so a value the walk already reported is not reported again.
struct RuleChecker {
    private let root: [String: JSONValue]
    private(set) var problems: [ValidationProblem] = []

    init(root: [String: JSONValue]) {
        self.root = root
    }

    mutating func checkAll() {
        self.checkInputs()
        self.checkOutputStorage(Self.object(self.root, "OutputStorage"), path: "OutputStorage")
        self.checkURLInputsOutput()
        if let dir = Self.string(self.root, "OutputDir"), let problem = OutputDirectory.problem(for: dir) {
            self.add(problem.at("OutputDir"))
        }
        if let context = Self.string(self.root, "SessionContext"), let problem = SessionContext.problem(for: context) {
            self.add(problem.at("SessionContext"))
        }
        if let priority = Self.int(self.root, "TasksPriority"), let problem = TaskPriority.problem(for: priority) {
            self.add(problem.at("TasksPriority"))
        }
        self.checkEnum(SkipMetadata.self, Self.int(self.root, "SkipMateData"), path: "SkipMateData")
        self.checkEnum(TaskMode.self, Self.string(self.root, "TaskMode"), path: "TaskMode")
        if let notify = Self.object(self.root, "TaskNotifyConfig") {
            self.checkNotifyConfig(notify)
        }
        if let task = Self.object(self.root, "SmartSubtitlesTask") {
            self.checkSmartSubtitlesTask(task)
        }
    }

    // MARK: - Inputs and outputs

    private var urlInputIndices: [Int] {
        (Self.array(self.root, "InputInfo") ?? []).indices.filter { index in
            guard let input = Self.array(self.root, "InputInfo")?[index].objectValue else { return false }
            return Self.string(input, "Type") == MediaInputType.url.rawValue
        }
    }

    private mutating func checkInputs() {
        guard let inputs = Self.array(self.root, "InputInfo") else { return }
        if inputs.isEmpty {
            self.add("InputInfo", "must hold at least one input", ErrorCode.inputInfo)
        }
        for (index, element) in inputs.enumerated() {
            guard let input = element.objectValue else { continue }
            let path = "InputInfo[\(index)]"
            guard let rawType = Self.string(input, "Type") else { continue }
            guard let type = MediaInputType(rawValue: rawType) else {
                self.add(MediaInputType.problem(for: rawType).at(path + ".Type"))
                continue
            }
            let member: String =
                switch type {
                case .url: "UrlInputInfo"
                case .cos: "CosInputInfo"
                case .awsS3: "S3InputInfo"
                case .vod: "VODInputInfo"
                }
            if input[member] == nil {
                self.add(path + "." + member, "is required when Type is \(type.rawValue)", ErrorCode.missingParameter)
            }
            switch type {
            case .url:
                if let url = Self.string(Self.object(input, "UrlInputInfo"), "Url") {
                    self.checkHTTPURL(url, path: path + ".UrlInputInfo.Url", code: ErrorCode.invalidURL)
                }
            case .cos:
                let cos = Self.object(input, "CosInputInfo")
                for name in ["Bucket", "Region", "Object"] where Self.string(cos, name)?.isEmpty == true {
                    self.add(path + ".CosInputInfo." + name, "must not be empty", ErrorCode.inputInfoValue)
                }
            case .awsS3, .vod:
                break
            }
        }
    }

    /// Either level of output storage: a known `Type`, and the member that type needs.
    private mutating func checkOutputStorage(_ storage: [String: JSONValue]?, path: String) {
        guard let storage, let rawType = Self.string(storage, "Type") else { return }
        guard let type = StorageType(rawValue: rawType) else {
            self.add(StorageType.problem(for: rawType).at(path + ".Type"))
            return
        }
        if type == .awsS3, storage["S3OutputStorage"] == nil {
            self.add(path + ".S3OutputStorage", "is required when Type is AWS-S3", ErrorCode.missingParameter)
        }
        if !self.urlInputIndices.isEmpty, type != .cos {
            self.add(
                path + ".Type",
                "must be COS: URL inputs support only COS output; got \(Quote.value(rawType))",
                ErrorCode.output
            )
        }
    }

    /// URL inputs have no storage to inherit, so the top-level output must name a COS bucket and region.
    private mutating func checkURLInputsOutput() {
        guard let first = self.urlInputIndices.first else { return }
        let why = "URL inputs (InputInfo[\(first)]) have no storage to inherit"
        guard self.root["OutputStorage"] != nil else {
            self.add(
                "OutputStorage",
                "is required: \(why); set Type COS with a bucket and region",
                ErrorCode.missingParameter
            )
            return
        }
        guard let storage = Self.object(self.root, "OutputStorage"),
            Self.string(storage, "Type") == StorageType.cos.rawValue
        else { return }
        guard storage["CosOutputStorage"] != nil else {
            self.add("OutputStorage.CosOutputStorage", "is required: \(why)", ErrorCode.missingParameter)
            return
        }
        guard let cos = Self.object(storage, "CosOutputStorage") else { return }
        for name in ["Bucket", "Region"] {
            let path = "OutputStorage.CosOutputStorage." + name
            if cos[name] == nil {
                self.add(path, "is required: \(why)", ErrorCode.missingParameter)
            } else if Self.string(cos, name)?.isEmpty == true {
                self.add(path, "must not be empty: \(why)", ErrorCode.output)
            }
        }
    }

    /// An absolute `http` or `https` URL with a host. The message never repeats the URL (it may carry a token).
    private mutating func checkHTTPURL(_ url: String, path: String, code: String) {
        if url.isEmpty {
            self.add(path, "must not be empty", code)
            return
        }
        let lowered = url.lowercased()
        let scheme = ["http://", "https://"].first { lowered.hasPrefix($0) }
        guard let scheme else {
            self.add(path, "must be an http:// or https:// URL", code)
            return
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        if host.isEmpty || url.contains(where: \.isWhitespace) {
            self.add(path, "must be an absolute http(s) URL with a host and no spaces", code)
        }
    }

    // MARK: - Notifications

    private mutating func checkNotifyConfig(_ notify: [String: JSONValue]) {
        let path = "TaskNotifyConfig"
        let cmqDefault =
            "an unset NotifyType means TDMQ-CMQ to MPS, not URL; set NotifyType explicitly (\"URL\" for HTTP callbacks)"
        var type: NotifyType?
        if notify["NotifyType"] == nil {
            self.add(
                path + ".NotifyType",
                "is required whenever TaskNotifyConfig is given: \(cmqDefault)",
                ErrorCode.missingParameter
            )
        } else if let raw = Self.string(notify, "NotifyType") {
            if raw.isEmpty {
                self.add(path + ".NotifyType", "must not be empty: \(cmqDefault)", ErrorCode.invalidParameterValue)
            } else {
                type = self.checkEnum(NotifyType.self, raw, path: path + ".NotifyType")
            }
        }
        self.checkEnum(NotifyMode.self, Self.string(notify, "NotifyMode"), path: path + ".NotifyMode")
        if let model = Self.string(notify, "CmqModel"), !["Queue", "Topic"].contains(model) {
            self.add(
                path + ".CmqModel",
                "must be one of Queue, Topic; got \(Quote.value(model))",
                ErrorCode.invalidParameterValue
            )
        }
        switch type {
        case .url:
            if notify["NotifyUrl"] == nil {
                self.add(path + ".NotifyUrl", "is required when NotifyType is URL", ErrorCode.missingParameter)
            } else if let url = Self.string(notify, "NotifyUrl") {
                self.checkHTTPURL(url, path: path + ".NotifyUrl", code: ErrorCode.invalidParameterValue)
            }
        case .awsSQS:
            if notify["AwsSQS"] == nil {
                self.add(path + ".AwsSQS", "is required when NotifyType is AWS-SQS", ErrorCode.missingParameter)
            }
        default:
            break
        }
    }

    // MARK: - Smart subtitles

    private mutating func checkSmartSubtitlesTask(_ task: [String: JSONValue]) {
        let path = "SmartSubtitlesTask"
        self.checkOutputStorage(Self.object(task, "OutputStorage"), path: path + ".OutputStorage")
        let raw = Self.object(task, "RawParameter")
        if let raw {
            self.checkRawParameter(raw, path: path + ".RawParameter")
        }
        // MPS reads RawParameter only when Definition is 0, and an absent Definition is 0 (the
        // official example omits it): without RawParameter such a task has no parameters at all
        // (MPS answers InvalidParameterValue.Definition). A non-zero Definition is a template ID.
        if task["RawParameter"] == nil {
            switch task["Definition"] {
            case nil:
                self.add(
                    path + ".Definition",
                    "is not set, and without a template ID the task needs RawParameter; give Definition (a smart-subtitle template ID) or RawParameter",
                    ErrorCode.definition
                )
            case .some(let definition) where definition.numberValue == 0:
                self.add(
                    path + ".Definition",
                    "0 needs RawParameter (MPS reads RawParameter only when Definition is 0); give a template ID or RawParameter",
                    ErrorCode.definition
                )
            default:
                break
            }
        }
        if let objectPath = Self.string(task, "OutputObjectPath") {
            let format = Self.string(raw, "SubtitleFormat").flatMap(SubtitleFormat.init(rawValue:))
            var endings = [".{format}"]
            if let format, format != .original {
                endings.append("." + format.rawValue)
            }
            if objectPath.isEmpty {
                self.add(
                    path + ".OutputObjectPath",
                    "must not be empty; omit it for the default path",
                    ErrorCode.invalidParameterValue
                )
            } else if !endings.contains(where: { objectPath.hasSuffix($0) }) {
                let allowed = endings.map { "\"\($0)\"" }.joined(separator: " or ")
                self.add(path + ".OutputObjectPath", "must end with \(allowed)", ErrorCode.invalidParameterValue)
            }
        }
    }

    private mutating func checkRawParameter(_ raw: [String: JSONValue], path: String) {
        let subtitleType = self.checkEnum(
            SubtitleType.self,
            Self.int(raw, "SubtitleType"),
            path: path + ".SubtitleType"
        )
        // An absent ProcessType means ASR; an invalid one turns off the checks that depend on it.
        let processType: ProcessType? =
            raw["ProcessType"] == nil
            ? .asr
            : self.checkEnum(ProcessType.self, Self.int(raw, "ProcessType"), path: path + ".ProcessType")

        self.checkSourceLanguage(
            Self.string(raw, "VideoSrcLanguage"),
            processType: processType,
            path: path + ".VideoSrcLanguage"
        )

        // TranslateSwitch. Pure translation needs it ON; MPS treats it as ON there, so the other rules do too.
        var translate: Switch? = nil
        var switchKnown = true
        if raw["TranslateSwitch"] == nil {
            if processType == .translation {
                self.add(
                    path + ".TranslateSwitch",
                    "must be ON for pure subtitle translation (ProcessType 1)",
                    ErrorCode.missingParameter
                )
                translate = .on
            } else {
                translate = .off
            }
        } else if let rawSwitch = Self.string(raw, "TranslateSwitch") {
            translate = self.checkEnum(Switch.self, rawSwitch, path: path + ".TranslateSwitch")
            if translate == nil {
                switchKnown = false
            } else if translate == .off, processType == .translation {
                self.add(
                    path + ".TranslateSwitch",
                    "must be ON for pure subtitle translation (ProcessType 1)",
                    ErrorCode.translateSwitch
                )
                translate = .on
            }
        } else {
            switchKnown = false
        }

        if switchKnown, let subtitleType, let translate {
            switch (translate, subtitleType) {
            case (.off, .translation), (.off, .sourceAndTranslation):
                self.add(
                    path + ".SubtitleType",
                    "must be 0 when TranslateSwitch is OFF or unset; \(subtitleType.rawValue) needs TranslateSwitch ON",
                    ErrorCode.subtitleType
                )
            case (.on, .source):
                self.add(
                    path + ".SubtitleType",
                    "must be 1 or 2 when TranslateSwitch is ON; 0 means no translation",
                    ErrorCode.subtitleType
                )
            default:
                break
            }
        }

        // TranslateDstLanguage.
        let dstPath = path + ".TranslateDstLanguage"
        var targetCount = 0
        if let dst = Self.string(raw, "TranslateDstLanguage"), !dst.isEmpty {
            let codes = TargetLanguages.split(dst)
            if let problem = TargetLanguages.problem(for: codes) {
                self.add(problem.at(dstPath))
            } else {
                targetCount = codes.count
            }
            if switchKnown, translate != .on {
                self.add(dstPath, "is only allowed with TranslateSwitch ON", ErrorCode.translateDstLanguage)
            }
        } else if subtitleType == .translation || subtitleType == .sourceAndTranslation {
            if raw["TranslateDstLanguage"] == nil {
                self.add(
                    dstPath,
                    "is required when SubtitleType is 1 or 2 (e.g. \"en\" or \"en/ja\")",
                    ErrorCode.missingParameter
                )
            } else if Self.string(raw, "TranslateDstLanguage") != nil {
                self.add(
                    dstPath,
                    "must not be empty when SubtitleType is 1 or 2 (e.g. \"en\" or \"en/ja\")",
                    ErrorCode.translateDstLanguage
                )
            }
        }

        // SubtitleEmbedId ("set" means non-zero: 0 is no template).
        let embedPath = path + ".SubtitleEmbedId"
        let embedId = Self.int(raw, "SubtitleEmbedId")
        if let embedId, embedId < 0 {
            self.add(embedPath, "must not be negative; got \(embedId)", ErrorCode.subtitleEmbedId)
        }
        let embedding = (embedId ?? 0) != 0
        if embedding, processType == .translation {
            self.add(embedPath, "is only allowed with ProcessType 0 (ASR) or 2 (OCR)", ErrorCode.subtitleEmbedId)
        }

        self.checkSubtitleFormat(
            raw,
            path: path + ".SubtitleFormat",
            processType: processType,
            translatingIntoSeveral: translate == .on && targetCount >= 2,
            embedding: embedding
        )

        // Speakers.
        let speakerMode = Self.int(raw, "SpeakerMode")
        if let speakerMode, ![0, 1].contains(speakerMode) {
            self.add(
                path + ".SpeakerMode",
                "must be 0 (off) or 1 (on); got \(speakerMode)",
                ErrorCode.invalidParameterValue
            )
        }
        if let label = Self.int(raw, "SpeakerLabel") {
            if ![0, 1].contains(label) {
                self.add(path + ".SpeakerLabel", "must be 0 or 1; got \(label)", ErrorCode.invalidParameterValue)
            } else if label == 1, speakerMode != 1 {
                self.add(
                    path + ".SpeakerLabel",
                    "1 needs SpeakerMode 1 (speaker recognition on)",
                    ErrorCode.invalidParameterValue
                )
            }
        }

        if let hotWords = Self.object(raw, "AsrHotWordsConfigure") {
            self.checkHotWords(hotWords, path: path + ".AsrHotWordsConfigure")
        }
        if let areas = Self.object(raw, "SelectingSubtitleAreasConfig") {
            self.checkAreas(areas, path: path + ".SelectingSubtitleAreasConfig")
        }
    }

    private mutating func checkSourceLanguage(_ code: String?, processType: ProcessType?, path: String) {
        guard let code else { return }
        switch processType {
        case .ocr:
            if !SourceLanguage.ocrCodes.contains(code) {
                self.add(
                    path,
                    "OCR (ProcessType 2) accepts only zh_en (Chinese and English) or multi (other languages); got \(Quote.value(code))",
                    ErrorCode.videoSrcLanguage
                )
            }
        case .asr, .translation:
            if code == "multi" {
                self.add(path, "multi is for OCR (ProcessType 2) only", ErrorCode.videoSrcLanguage)
            } else if !SourceLanguage.asrCodeSet.contains(code) {
                self.add(SourceLanguage.problem(for: code).at(path))
            }
        case nil:
            if !SourceLanguage.allCodes.contains(code) {
                self.add(SourceLanguage.problem(for: code).at(path))
            }
        }
    }

    private mutating func checkSubtitleFormat(
        _ raw: [String: JSONValue],
        path: String,
        processType: ProcessType?,
        translatingIntoSeveral: Bool,
        embedding: Bool
    ) {
        let absent = raw["SubtitleFormat"] == nil
        guard absent || Self.string(raw, "SubtitleFormat") != nil else { return }
        let value = Self.string(raw, "SubtitleFormat") ?? ""
        let emptyCode = absent ? ErrorCode.missingParameter : ErrorCode.subtitleFormat
        let allowed: [SubtitleFormat]
        let emptyProblem: String?
        switch processType {
        case .asr:
            allowed = [.vtt, .srt]
            emptyProblem = translatingIntoSeveral ? "must be vtt or srt when translating into 2 or more languages" : nil
        case .translation:
            allowed = [.original, .vtt, .srt]
            emptyProblem = "must be original, vtt or srt for pure subtitle translation (ProcessType 1)"
        case .ocr:
            allowed = [.vtt, .srt]
            emptyProblem = embedding ? nil : "must be vtt or srt for OCR (ProcessType 2) unless SubtitleEmbedId is set"
        case nil:
            allowed = SubtitleFormat.allCases
            emptyProblem = nil
        }
        if value.isEmpty {
            if let emptyProblem {
                self.add(path, emptyProblem, emptyCode)
            }
        } else if let format = SubtitleFormat(rawValue: value), allowed.contains(format) {
            return
        } else {
            let names = allowed.map(\.rawValue).joined(separator: ", ")
            let mode = processType.map { " for ProcessType \($0.rawValue)" } ?? ""
            self.add(path, "must be one of \(names)\(mode); got \(Quote.value(value))", ErrorCode.subtitleFormat)
        }
    }

    private mutating func checkHotWords(_ hotWords: [String: JSONValue], path: String) {
        let value = Self.string(hotWords, "Switch")
        if let value, Switch(rawValue: value) == nil {
            self.add(path + ".Switch", "must be one of ON, OFF; got \(Quote.value(value))", ErrorCode.asrHotWordsSwitch)
        }
        guard value == Switch.on.rawValue else { return }
        if hotWords["LibraryId"] == nil {
            self.add(path + ".LibraryId", "is required when Switch is ON", ErrorCode.missingParameter)
        } else if Self.string(hotWords, "LibraryId")?.isEmpty == true {
            self.add(path + ".LibraryId", "must not be empty when Switch is ON", ErrorCode.asrHotWordsLibraryId)
        }
    }

    private mutating func checkAreas(_ config: [String: JSONValue], path: String) {
        for name in ["SampleWidth", "SampleHeight"] {
            if let size = Self.int(config, name), size < 0 {
                self.add(path + "." + name, "must not be negative; got \(size)", ErrorCode.invalidParameterValue)
            }
        }
        for (index, element) in (Self.array(config, "AutoAreas") ?? []).enumerated() {
            guard let area = element.objectValue else { continue }
            let areaPath = "\(path).AutoAreas[\(index)]"
            let unit = self.checkEnum(AreaUnit.self, Self.int(area, "Unit"), path: areaPath + ".Unit")
            let names = ["LeftTopX", "LeftTopY", "RightBottomX", "RightBottomY"]
            for name in names {
                guard let value = Self.number(area, name) else { continue }
                if value < 0 {
                    self.add(
                        areaPath + "." + name,
                        "must not be negative; got \(value)",
                        ErrorCode.invalidParameterValue
                    )
                } else if unit == .percent, value > 1 {
                    self.add(
                        areaPath + "." + name,
                        "must be within [0, 1] when Unit is 1 (percent); got \(value)",
                        ErrorCode.invalidParameterValue
                    )
                }
            }
            if let left = Self.number(area, "LeftTopX"), let right = Self.number(area, "RightBottomX"), right < left {
                self.add(areaPath + ".RightBottomX", "must not be less than LeftTopX", ErrorCode.invalidParameterValue)
            }
            if let top = Self.number(area, "LeftTopY"), let bottom = Self.number(area, "RightBottomY"), bottom < top {
                self.add(areaPath + ".RightBottomY", "must not be less than LeftTopY", ErrorCode.invalidParameterValue)
            }
        }
    }

    // MARK: - Helpers

    @discardableResult
    private mutating func checkEnum<E: WireEnum>(_ type: E.Type, _ raw: E.RawValue?, path: String) -> E? {
        guard let raw else { return nil }
        guard let value = E(rawValue: raw) else {
            self.add(E.problem(for: raw).at(path))
            return nil
        }
        return value
    }

    private mutating func add(_ problem: ValidationProblem) {
        self.problems.append(problem)
    }

    private mutating func add(_ field: String, _ message: String, _ code: String) {
        self.problems.append(ValidationProblem(field: field, message: message, errorCode: code))
    }

    private static func object(_ members: [String: JSONValue]?, _ key: String) -> [String: JSONValue]? {
        members?[key]?.objectValue
    }

    private static func array(_ members: [String: JSONValue]?, _ key: String) -> [JSONValue]? {
        members?[key]?.arrayValue
    }

    private static func string(_ members: [String: JSONValue]?, _ key: String) -> String? {
        members?[key]?.stringValue
    }

    private static func int(_ members: [String: JSONValue]?, _ key: String) -> Int? {
        members?[key]?.intValue
    }

    private static func number(_ members: [String: JSONValue]?, _ key: String) -> Double? {
        members?[key]?.numberValue
    }
}
