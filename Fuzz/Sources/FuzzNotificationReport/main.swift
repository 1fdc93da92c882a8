import FuzzSupport
import MPS

// Input: a stored notification body, as the applier decodes it. The decoder must never trap,
// must be deterministic, must refuse exactly what the door refuses, must agree with the door
// (and with a general JSON parser) on every body the door accepts, and must read the event
// exactly as the JSONDecoder decode it replaced did (CodableEventOracle).
runFuzzer { data, count in
    let body = bytes(data, count)
    let first = try? NotificationReport.decode(body)
    let second = try? NotificationReport.decode(body)
    guard first == second else { violated("NotificationReport.decode is deterministic") }
    Agreement.checkReport(body)
    if let envelope = Door.read(body) {
        Agreement.check(body, door: envelope)
    }
    if let report = first, let reference = CodableEventOracle.read(body) {
        let read = CodableEventOracle.Reading(outputs: report.outputs, mediaDurations: report.mediaDurations, eventProblem: report.eventProblem)
        guard read == reference else {
            violated("NotificationReport.decode reads the event as JSONDecoder did", "reader: \(read), JSONDecoder: \(reference)")
        }
    }
    return 0
}
