public import Correlation
public import Foundation
public import MPS
import Postgres
public import Store
public import Workflows

/// A client's job body, checked as far as it can be before anything is stored: the same code
/// answers `POST /v1/jobs` and `mpshook submit`.
///
/// The body is a JSON object with these members (any other member is refused):
///
/// - `request` (required): a `BatchProcessMedia` body in MPS's own PascalCase shape
///   (`InputInfo`, `OutputStorage`, `OutputDir`, `SmartSubtitlesTask`, `TasksPriority`,
///   `ResourceId`, `SkipMateData`, `TaskMode`, and `TaskNotifyConfig` with `NotifyMode` only).
/// - `inputUrls` (optional): a non-empty array of URL strings, shorthand for
///   `request.InputInfo` = `[{"Type":"URL","UrlInputInfo":{"Url":…}}, …]`; giving both is refused.
/// - `clientReference` (optional): 1–200 characters; a second job with the same reference is
///   not created (the first one is answered instead).
/// - `clientContext` (optional): any JSON object, stored with the job and shown back as given
///   (numbers beyond 2^53 lose precision: they are read as doubles).
/// - `callbackUrl` (optional): where the "job finished" webhook goes (``CallbackURL``: http or
///   https, no userinfo, at most 2000 characters; a literal private, loopback or link-local
///   address is refused when the job is created); absent: the configured default, if any.
///
/// `null` in an optional member (mpshook's own, or any optional MPS field under `request`) means
/// absent, as MPS's SDK reads it, and is not stored; `null` in a required one is refused at it.
///
/// mpshook owns `SessionContext` (it carries the step's correlation id) and where MPS reports
/// (`TaskNotifyConfig.NotifyUrl`, `NotifyKey`, every CMQ/TDMQ/SQS member, and a `NotifyType`
/// other than `URL`); a request naming one is refused with a problem at that field. Only `URL`
/// inputs are accepted, since mpshook keeps one output row per input URL, and
/// `SmartSubtitlesTask` is required: its results are what mpshook tracks.
///
/// The request is validated with `BatchProcessMediaValidator` exactly as the dispatcher will
/// send it: with a `SessionContext`, and `TaskNotifyConfig` set to `NotifyType` `URL`, a
/// placeholder `NotifyUrl` and `NotifyMode` `Finish` unless the client chose one. Every problem
/// is reported, not just the first; each names its field as a path in the client's body
/// (`request.OutputStorage.Type`, `inputUrls[1]`, `clientReference`; empty for the body itself).
public struct JobRequest: Sendable, Equatable {
    /// The members the body may have.
    public static let members = ["clientReference", "clientContext", "request", "inputUrls", "callbackUrl"]
    /// The longest `clientReference` (the database's limit too).
    public static let maximumClientReferenceLength = 200

    /// mpshook's own problem codes, next to the MPS error codes the validator answers with.
    public enum Code {
        /// A field mpshook sets itself.
        public static let ownedField = "mpshook.OwnedField"
        /// An input type mpshook does not track (anything but `URL`).
        public static let unsupportedInput = "mpshook.UnsupportedInputType"
        /// `inputUrls` and `request.InputInfo` both given.
        public static let conflictingInputs = "mpshook.ConflictingInputs"
        public static let invalidParameter = "InvalidParameter"
        public static let invalidParameterValue = "InvalidParameterValue"
        public static let missingParameter = "MissingParameter"
        public static let unknownParameter = "UnknownParameter"
    }

    /// `TaskNotifyConfig` members mpshook sets (or, for the queue targets, never uses).
    static let ownedNotifyMembers = StepRequest.ownedNotifyMembers

    public var clientReference: String?
    /// The client's context as compact JSON with sorted keys.
    public var clientContext: String?
    /// The request to store: the client's, with `InputInfo` expanded from `inputUrls`, as compact
    /// JSON with sorted keys; never holds `SessionContext`, `NotifyUrl` or `NotifyKey`.
    public var storedRequest: String
    /// The input URLs, in `InputInfo` order.
    public var inputURLs: [String]
    /// Where the job's webhook goes; nil: the configured default.
    public var callbackURL: CallbackURL?

    /// Parses and checks a body; every problem when it is not acceptable.
    public static func parse(_ bytes: some Sequence<UInt8>) -> Result<JobRequest, ValidationProblems> {
        let data = Data(bytes)
        guard let json = try? MPSJSON.decoder.decode(JSONValue.self, from: data) else {
            return .failure(ValidationProblems([problem("", "the body is not valid JSON", Code.invalidParameter)]))
        }
        return parse(json)
    }

    /// Checks a parsed body; every problem when it is not acceptable.
    public static func parse(_ json: JSONValue) -> Result<JobRequest, ValidationProblems> {
        guard case .object(let body) = json else {
            return .failure(ValidationProblems([
                problem("", "the body must be a JSON object, not \(typeName(json))", Code.invalidParameter)
            ]))
        }
        var checker = Checker()
        let parsed = checker.check(body)
        guard checker.problems.isEmpty, let parsed else { return .failure(ValidationProblems(checker.problems)) }
        return .success(parsed)
    }

    /// The job to create: one step named `main`, correlated by `correlation`.
    public func makeJob(
        id: UUID = UUID(), stepId: UUID = UUID(), correlation: CorrelationId = CorrelationId()
    ) -> NewJob {
        var job = NewJob(
            id: id,
            clientReference: clientReference,
            clientContext: clientContext.map(JSONBText.init),
            steps: [
                NewStep(
                    id: stepId, name: "main", correlationId: correlation.uuid, sessionContext: correlation.sessionContext,
                    request: JSONBText(storedRequest), inputURLs: inputURLs
                )
            ]
        )
        job.callbackURL = callbackURL?.text
        return job
    }

    static func problem(_ field: String, _ message: String, _ code: String) -> ValidationProblem {
        ValidationProblem(field: field, message: message, errorCode: code)
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Compact JSON with sorted keys, as every stored body is written.
    static func encode(_ value: JSONValue) -> String? {
        StepRequest.encode(value)
    }
}

/// Collects every problem of one body while reading it; shared by both kinds of job body.
struct Checker {
    typealias Code = JobRequest.Code
    private(set) var problems: [ValidationProblem] = []

    mutating func add(_ field: String, _ message: String, _ code: String) {
        problems.append(JobRequest.problem(field, message, code))
    }

    mutating func check(_ given: [String: JSONValue]) -> JobRequest? {
        var body = given
        for name in ["clientReference", "clientContext", "inputUrls", "callbackUrl"] where body[name]?.isNull == true {
            body.removeValue(forKey: name)
        }
        for name in body.keys.sorted() where !JobRequest.members.contains(name) {
            var message = "is not a member of the job body (\(JobRequest.members.joined(separator: ", ")))"
            if let near = JobRequest.members.first(where: { $0.lowercased() == name.lowercased() }) {
                message += "; did you mean \"\(near)\"?"
            } else if name == "InputInfo" || name == "OutputStorage" || name == "SmartSubtitlesTask" {
                message += "; MPS fields go inside \"request\""
            }
            add(name, message, Code.unknownParameter)
        }
        checkNoNUL(.object(body), path: "")
        let clientReference = checkClientReference(body["clientReference"])
        let clientContext = checkClientContext(body["clientContext"])
        let callbackURL = checkCallbackURL(body["callbackUrl"])
        let shorthand = checkInputURLs(body["inputUrls"])

        guard let rawRequest = body["request"], !rawRequest.isNull else {
            let null = body["request"] == nil ? "" : " (null counts as absent)"
            add("request", "is required: the BatchProcessMedia body (InputInfo, OutputStorage, SmartSubtitlesTask, …)" + null, Code.missingParameter)
            return nil
        }
        // Optional MPS fields given as null are absent from here on, and never stored.
        guard case .object(var request) = BatchProcessMediaValidator.droppingNulls(rawRequest) else {
            add("request", "must be an object (a BatchProcessMedia body), not \(JobRequest.typeName(rawRequest))", Code.invalidParameter)
            return nil
        }
        let expanded: Bool
        if let shorthand {
            if request["InputInfo"] != nil {
                add("inputUrls", "give the inputs either as inputUrls or as request.InputInfo, not both", Code.conflictingInputs)
                expanded = false
            } else {
                request["InputInfo"] = .array(shorthand.map { ["Type": "URL", "UrlInputInfo": ["Url": .string($0)]] })
                expanded = true
            }
        } else {
            expanded = false
        }
        removeOwnedFields(&request)
        if request["SmartSubtitlesTask"] == nil {
            // MPS would take a batch with no task, but it would produce nothing mpshook tracks.
            add("request.SmartSubtitlesTask", "is required: mpshook runs and tracks smart-subtitle tasks", Code.missingParameter)
        }
        checkInputTypes(request["InputInfo"], expanded: expanded)

        // Validate what the dispatcher will send, built by the same builder with a placeholder target.
        let sent = StepRequest.sendable(stored: request, sessionContext: CorrelationId().sessionContext, notify: .placeholder)
        if case .failure(let found) = sent {
            // Bad inputUrls were reported above; the InputInfo they would have made is not missing.
            let inputsReported = body["inputUrls"] != nil && request["InputInfo"] == nil
            for problem in found where !(inputsReported && problem.field == "InputInfo") {
                problems.append(JobRequest.problem(Self.clientPath(problem.field, expanded: expanded), problem.message, problem.errorCode))
            }
        }

        guard problems.isEmpty else { return nil }
        let inputURLs = (request["InputInfo"]?.arrayValue ?? []).compactMap { $0["UrlInputInfo"]?["Url"]?.stringValue }
        guard let stored = JobRequest.encode(.object(request)) else {
            add("request", "could not be written as JSON", Code.invalidParameter)
            return nil
        }
        return JobRequest(
            clientReference: clientReference, clientContext: clientContext, storedRequest: stored, inputURLs: inputURLs,
            callbackURL: callbackURL
        )
    }

    /// `callbackUrl`: a ``CallbackURL``. Whether a literal address may be reached depends on the
    /// deployment's allow list, so ``JobCreator`` checks that.
    mutating func checkCallbackURL(_ value: JSONValue?) -> CallbackURL? {
        guard let value else { return nil }
        guard case .string(let text) = value else {
            add("callbackUrl", "must be a URL string, not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        switch CallbackURL.parse(text) {
        case .success(let url):
            return url
        case .failure(let problem):
            add("callbackUrl", problem.description, Code.invalidParameterValue)
            return nil
        }
    }

    mutating func checkClientReference(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        guard case .string(let reference) = value else {
            add("clientReference", "must be a string, not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        if reference.isEmpty {
            add("clientReference", "must not be empty (omit it instead)", Code.invalidParameterValue)
        } else if reference.count > JobRequest.maximumClientReferenceLength {
            add(
                "clientReference",
                "must be at most \(JobRequest.maximumClientReferenceLength) characters; got \(reference.count)",
                Code.invalidParameterValue
            )
        }
        return reference
    }

    mutating func checkClientContext(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        guard case .object = value else {
            add("clientContext", "must be a JSON object, not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        return JobRequest.encode(value)
    }

    mutating func checkInputURLs(_ value: JSONValue?) -> [String]? {
        guard let value else { return nil }
        guard case .array(let elements) = value else {
            add("inputUrls", "must be an array of URL strings, not \(JobRequest.typeName(value))", Code.invalidParameter)
            return nil
        }
        if elements.isEmpty {
            add("inputUrls", "must hold at least one URL (or omit it and give request.InputInfo)", Code.invalidParameterValue)
            return nil
        }
        var urls: [String] = []
        for (index, element) in elements.enumerated() {
            if case .string(let url) = element {
                urls.append(url)
            } else {
                add("inputUrls[\(index)]", "must be a URL string, not \(JobRequest.typeName(element))", Code.invalidParameter)
            }
        }
        return urls.count == elements.count ? urls : nil
    }

    /// Refuses (and drops, so the validator does not report them again) what mpshook sets.
    private mutating func removeOwnedFields(_ request: inout [String: JSONValue]) {
        if request.removeValue(forKey: "SessionContext") != nil {
            add(
                "request.SessionContext",
                "is set by mpshook (it carries the step's correlation id); keep your own data in clientContext",
                Code.ownedField
            )
        }
        guard case .object(var notify) = request["TaskNotifyConfig"] else { return }
        for name in JobRequest.ownedNotifyMembers where notify.removeValue(forKey: name) != nil {
            add(
                "request.TaskNotifyConfig." + name,
                "is set by mpshook: MPS reports to mpshook's own NotifyUrl; only NotifyMode may be given",
                Code.ownedField
            )
        }
        if let type = notify["NotifyType"], type != "URL" {
            notify.removeValue(forKey: "NotifyType")
            add(
                "request.TaskNotifyConfig.NotifyType",
                "is set by mpshook to URL (callbacks to mpshook's NotifyUrl); omit it",
                Code.ownedField
            )
        }
        request["TaskNotifyConfig"] = .object(notify)
    }

    /// Only `URL` inputs: a known type that is not `URL` is refused here (an unknown one by the validator).
    private mutating func checkInputTypes(_ inputs: JSONValue?, expanded: Bool) {
        guard let elements = inputs?.arrayValue, !expanded else { return }
        for (index, element) in elements.enumerated() {
            guard let raw = element["Type"]?.stringValue, let type = try? MediaInputType(raw), type != .url else { continue }
            add(
                "request.InputInfo[\(index)].Type",
                "must be URL: mpshook tracks one output per input URL and does not support \(raw) inputs yet",
                Code.unsupportedInput
            )
        }
    }

    /// PostgreSQL text cannot hold NUL, so a string with one would fail at the database.
    mutating func checkNoNUL(_ value: JSONValue, path: String) {
        switch value {
        case .string(let text) where text.unicodeScalars.contains("\u{0}"):
            add(path, "must not contain a NUL character (\\u0000)", Code.invalidParameterValue)
        case .array(let elements):
            for (index, element) in elements.enumerated() { checkNoNUL(element, path: "\(path)[\(index)]") }
        case .object(let members):
            for name in members.keys.sorted() {
                let memberPath = path.isEmpty ? name : path + "." + name
                if name.unicodeScalars.contains("\u{0}") {
                    add(path, "has a member name with a NUL character (\\u0000)", Code.invalidParameterValue)
                } else if let member = members[name] {
                    checkNoNUL(member, path: memberPath)
                }
            }
        default:
            break
        }
    }

    /// A validator path (relative to the request) as a path in the client's body.
    static func clientPath(_ field: String, expanded: Bool) -> String {
        if expanded, field.hasPrefix("InputInfo") {
            // InputInfo[2].UrlInputInfo.Url → inputUrls[2]: the client wrote only the URL.
            let rest = field.dropFirst("InputInfo".count)
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                return "inputUrls" + rest[...close]
            }
            return "inputUrls"
        }
        return field.isEmpty ? "request" : "request." + field
    }
}
