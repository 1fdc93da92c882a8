import Foundation
import FuzzSupport
import API
import MPS

/// What `JobRequest.parse` must keep on any input: a refusal names at least one problem; an
/// accepted body stores a request without anything mpshook owns (SessionContext, NotifyUrl,
/// NotifyKey, queue targets), with URL inputs only, whose URLs are the job's inputs; and
/// parsing what was stored gives the same job again (what `mpshook submit` and the API store
/// is a fixed point of the checks).
enum JobRequestProperties {
    static func check(_ body: [UInt8]) {
        switch JobRequest.parse(body) {
        case .failure(let problems):
            guard !problems.isEmpty else { violated("a refused job body names at least one problem") }
        case .success(let request):
            checkAccepted(request)
        }
    }

    static func checkAccepted(_ request: JobRequest) {
        guard case .object(let stored)? = decode(request.storedRequest) else {
            violated("the stored request is a JSON object", request.storedRequest)
        }
        guard stored["SessionContext"] == nil else { violated("the stored request holds no SessionContext") }
        guard stored["SmartSubtitlesTask"] != nil else { violated("the stored request has a SmartSubtitlesTask") }
        if let notify = stored["TaskNotifyConfig"] {
            guard case .object(let members) = notify else { violated("a stored TaskNotifyConfig is an object") }
            for owned in ["NotifyUrl", "NotifyKey", "CmqModel", "CmqRegion", "TopicName", "QueueName", "AwsSQS"] where members[owned] != nil {
                violated("the stored request holds no \(owned)")
            }
            if let type = members["NotifyType"], type != .string("URL") { violated("a stored NotifyType is URL") }
        }
        let inputs = stored["InputInfo"]?.arrayValue ?? []
        guard inputs.allSatisfy({ $0["Type"] == .string("URL") }) else { violated("every stored input is a URL input") }
        let urls = inputs.compactMap { $0["UrlInputInfo"]?["Url"]?.stringValue }
        guard urls == request.inputURLs, !urls.isEmpty else { violated("the job's input URLs are the stored InputInfo's, in order") }
        if let context = request.clientContext {
            guard case .object? = decode(context) else { violated("a stored clientContext is a JSON object", context) }
        }
        let job = request.makeJob()
        guard job.steps.count == 1, job.steps[0].inputURLs == urls, job.clientReference == request.clientReference else {
            violated("the job made has one step over the request's inputs")
        }

        // The stored form, sent again, is accepted as the same job.
        var again: [String: JSONValue] = ["request": .object(stored)]
        if let reference = request.clientReference { again["clientReference"] = .string(reference) }
        if let context = request.clientContext, let value = decode(context) { again["clientContext"] = value }
        switch JobRequest.parse(.object(again)) {
        case .success(let reparsed):
            guard reparsed == request else { violated("parsing the stored job again gives the same job", "\(reparsed) vs \(request)") }
        case .failure(let problems):
            violated("the stored job is accepted again", problems.description)
        }
    }

    static func decode(_ text: String) -> JSONValue? {
        try? MPSJSON.decoder.decode(JSONValue.self, from: Data(text.utf8))
    }
}
